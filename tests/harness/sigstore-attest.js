// Signs an in-toto statement with sigstore-js (keyless, DSSE) against a sigstore instance such as
// sigstore-mock.js, writing a v0.3 bundle with a dsse/0.0.1 transparency-log entry.
// usage: SIGSTORE_ID_TOKEN=<jwt> NODE_PATH=$PROVENANT_ORACLES/npm/sigstore/node_modules \
//        node sigstore-attest.js STATEMENT.json OUT.sigstore.json BASE_URL
const fs = require('fs');
const sigstore = require('sigstore');
const [, , statement, out, base] = process.argv;
sigstore
  .attest(fs.readFileSync(statement), 'application/vnd.in-toto+json', {
    fulcioURL: base,
    rekorURL: base,
    identityToken: process.env.SIGSTORE_ID_TOKEN,
  })
  .then((bundle) => fs.writeFileSync(out, JSON.stringify(bundle, null, 2)))
  .catch((e) => {
    console.error(e);
    process.exit(1);
  });
