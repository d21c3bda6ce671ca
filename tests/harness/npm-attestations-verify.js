// Verifies an npm package's registry attestations with sigstore-js, as the npm CLI does for
// `npm audit signatures`: the SLSA provenance bundle keylessly under the trusted root, the publish
// attestation under the registry key its hint names (from npm's keys.json, usage npm:attestations), and the
// tarball's sha512 as a subject of both. No builder or source policy: this is the signature half.
//
// usage: NODE_PATH=<oracles>/npm/sigstore/node_modules node npm-attestations-verify.js \
//          TRUSTED_ROOT KEYS_JSON ATTESTATIONS_JSON TARBALL [ROUNDS]
// Prints "OK" (exit 0) or "FAIL <which> <code> <message>" (exit 1). With ROUNDS, verifies that many
// times in one process and prints the seconds per round after OK.
'use strict';
const fs = require('fs');
const crypto = require('crypto');
const { TrustedRoot } = require('@sigstore/protobuf-specs');
const { bundleFromJSON } = require('@sigstore/bundle');
const { Verifier, toSignedEntity, toTrustMaterial } = require('@sigstore/verify');

const [rootPath, keysPath, attestationsPath, tarballPath, roundsArg] = process.argv.slice(2);
const root = TrustedRoot.fromJSON(JSON.parse(fs.readFileSync(rootPath)));
const keys = {};
for (const k of JSON.parse(fs.readFileSync(keysPath)).keys) {
  if (k.keyUsage !== 'npm:attestations') continue;
  keys[k.keyId] = {
    rawBytes: Buffer.from(k.publicKey.rawBytes, 'base64'),
    validFor: {
      start: k.publicKey.validFor?.start ? new Date(k.publicKey.validFor.start) : undefined,
      end: k.publicKey.validFor?.end ? new Date(k.publicKey.validFor.end) : undefined,
    },
  };
}
const keyless = new Verifier(toTrustMaterial(root), { tlogThreshold: 1, ctlogThreshold: 1, tsaThreshold: 0 });
const keyed = new Verifier(toTrustMaterial(root, keys), { tlogThreshold: 1, ctlogThreshold: 0, tsaThreshold: 0 });

function verifyOnce() {
  const set = JSON.parse(fs.readFileSync(attestationsPath));
  const sha512 = crypto.createHash('sha512').update(fs.readFileSync(tarballPath)).digest('hex');
  for (const att of set.attestations) {
    const publish = att.predicateType.startsWith('https://github.com/npm/attestation/tree/main/specs/publish/');
    const which = publish ? 'publish' : 'provenance';
    try {
      const bundle = bundleFromJSON(att.bundle);
      (publish ? keyed : keyless).verify(toSignedEntity(bundle), {});
      const statement = JSON.parse(Buffer.from(att.bundle.dsseEnvelope.payload, 'base64'));
      if (!statement.subject.some((s) => s.digest.sha512 === sha512)) {
        throw Object.assign(new Error(`sha512 ${sha512} is not a subject`), { code: 'DIGEST' });
      }
    } catch (e) {
      console.log('FAIL', which, e.code || '', e.message);
      process.exit(1);
    }
  }
}

const rounds = Number(roundsArg || 1);
const start = process.hrtime.bigint();
for (let i = 0; i < rounds; i++) verifyOnce();
const secs = Number(process.hrtime.bigint() - start) / 1e9;
console.log('OK', roundsArg ? (secs / rounds).toFixed(6) : '');
