// Attaches a sigstore bundle to an image with @sigstore/oci, the way sigstore-js clients do (an
// independent implementation of the referrers tag fallback), for Provenant's discovery tests.
// usage: NODE_PATH=… REG_USER=… REG_PASS=… node oci-attach.js HOST/REPO sha256:… bundle.json
const fs = require('fs');
const { attachArtifactToImage } = require('@sigstore/oci');
const [, , imageName, imageDigest, file] = process.argv;
(async () => {
  const d = await attachArtifactToImage({
    imageName,
    imageDigest,
    credentials: { username: process.env.REG_USER || 'x', password: process.env.REG_PASS || 'x' },
    artifact: fs.readFileSync(file),
    mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
    annotations: { 'dev.sigstore.bundle.predicateType': 'https://slsa.dev/provenance/v1' },
  });
  console.log(JSON.stringify(d));
})().catch((e) => {
  console.error('ERR', e.message, e.cause && (e.cause.stack || e.cause));
  process.exit(1);
});
