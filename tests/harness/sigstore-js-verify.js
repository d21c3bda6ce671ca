// Verifies a sigstore bundle with sigstore-js (@sigstore/verify), offline, against a given trusted root.
//
// usage: NODE_PATH=<oracles>/npm/sigstore/node_modules node sigstore-js-verify.js \
//          TRUSTED_ROOT BUNDLE ARTIFACT [--san SAN --issuer ISSUER] [--key PUB.pem]
// Keyless bundles need one transparency-log entry and one SCT; with --key the bundle's publicKey hint
// names that key and no log is required. Prints "OK" (exit 0) or "FAIL <code> <message>" (exit 1).
'use strict';
const fs = require('fs');
const { TrustedRoot } = require('@sigstore/protobuf-specs');
const { bundleFromJSON } = require('@sigstore/bundle');
const { Verifier, toSignedEntity, toTrustMaterial } = require('@sigstore/verify');

const args = process.argv.slice(2);
const [rootPath, bundlePath, artifactPath] = args;
const flag = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const json = JSON.parse(fs.readFileSync(bundlePath));
const root = TrustedRoot.fromJSON(JSON.parse(fs.readFileSync(rootPath)));
const keyPath = flag('--key');
let verifier;
if (keyPath) {
  const hint = json.verificationMaterial.publicKey?.hint ?? '';
  const keys = { [hint]: { rawBytes: fs.readFileSync(keyPath, 'utf8') } };
  const tlogs = json.verificationMaterial.tlogEntries?.length ? 1 : 0;
  verifier = new Verifier(toTrustMaterial(root, keys), { tlogThreshold: tlogs, ctlogThreshold: 0, tsaThreshold: 0 });
} else {
  verifier = new Verifier(toTrustMaterial(root), { tlogThreshold: 1, ctlogThreshold: 1, tsaThreshold: 0 });
}
const policy = {};
if (flag('--san')) policy.subjectAlternativeName = flag('--san');
if (flag('--issuer')) policy.extensions = { issuer: flag('--issuer') };
try {
  // A DSSE bundle carries its payload; only a message signature needs the artefact.
  const artifact = json.messageSignature ? fs.readFileSync(artifactPath) : undefined;
  verifier.verify(toSignedEntity(bundleFromJSON(json), artifact), policy);
  console.log('OK');
} catch (e) {
  console.log('FAIL', e.code || '', e.message);
  process.exit(1);
}
