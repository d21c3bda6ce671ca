// Signs with sigstore-js against a sigstore instance (the loopback mock in tests).
//
// usage: SIGSTORE_ID_TOKEN=<jwt> NODE_PATH=<oracles>/npm/sigstore/node_modules \
//          node sigstore-js-sign.js INPUT OUT_BUNDLE BASE_URL (--blob | --statement) [--tsa]
// --blob signs INPUT as an artefact (a hashedrekord entry); --statement signs INPUT as an in-toto statement
// in a DSSE envelope (a dsse entry). --tsa also asks BASE_URL's timestamp authority for a timestamp.
'use strict';
const fs = require('fs');
const sigstore = require('sigstore');

const [input, out, base, mode, ...rest] = process.argv.slice(2);
const options = { fulcioURL: base, rekorURL: base, identityToken: process.env.SIGSTORE_ID_TOKEN };
if (rest.includes('--tsa')) options.tsaServerURL = base;

(async () => {
  const data = fs.readFileSync(input);
  const bundle = mode === '--blob'
    ? await sigstore.sign(data, options)
    : await sigstore.attest(data, 'application/vnd.in-toto+json', options);
  fs.writeFileSync(out, JSON.stringify(bundle, null, 2));
  console.log(bundle.mediaType);
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
