// A sigstore instance for tests, on loopback: @sigstore/mock's Fulcio, Rekor (v1, v2) and TSA handlers
// behind one HTTP server, with fresh keys at every start. Writes OUTDIR/trusted_root.json for verifiers.
// Fulcio accepts any unsigned JWT (see sigstore-token.sh): `iss` becomes the certificate's issuer, `sub`
// its SAN. Rekor entries are stored in the canonical form real Rekor stores.
// usage: NODE_PATH=$PROVENANT_ORACLES/npm/sigstore/node_modules node sigstore-mock.js PORT OUTDIR
const http = require('http');
const fs = require('fs');
const path = require('path');
const crypto = require('crypto');
const mock = require('@sigstore/mock');
const { TrustedRoot } = require('@sigstore/protobuf-specs');
const port = parseInt(process.argv[2] || '8787', 10);
const outdir = process.argv[3] || '.';
const base = `http://127.0.0.1:${port}`;

// --- Rekor-like canonicalisation (real Rekor stores canonical bodies; @sigstore/mock echoes the proposal)
function rewrapPEMb64(b64) {
  const pem = Buffer.from(b64, 'base64').toString();
  const m = pem.match(/-----BEGIN ([A-Z ]+)-----([\s\S]*?)-----END \1-----/);
  if (!m) return b64;
  const body = m[2].replace(/\s+/g, '').match(/.{1,64}/g).join('\n');
  return Buffer.from(`-----BEGIN ${m[1]}-----\n${body}\n-----END ${m[1]}-----\n`).toString('base64');
}
function canonicalize(entry) {
  if (entry.kind === 'hashedrekord' && entry.spec && entry.spec.signature && entry.spec.signature.publicKey) {
    entry.spec.signature.publicKey.content = rewrapPEMb64(entry.spec.signature.publicKey.content);
    return entry;
  }
  if (entry.kind === 'dsse' && entry.spec && entry.spec.proposedContent) {
    const envStr = entry.spec.proposedContent.envelope;
    const env = JSON.parse(envStr);
    const sha = (b) => crypto.createHash('sha256').update(b).digest('hex');
    const verifiers = entry.spec.proposedContent.verifiers.map(rewrapPEMb64);
    return { apiVersion: entry.apiVersion || '0.0.1', kind: 'dsse', spec: {
      envelopeHash: { algorithm: 'sha256', value: sha(Buffer.from(envStr)) },
      payloadHash: { algorithm: 'sha256', value: sha(Buffer.from(env.payload, 'base64')) },
      signatures: env.signatures.map((s, i) => ({ signature: s.sig, verifier: verifiers[Math.min(i, verifiers.length - 1)] })),
    } };
  }
  return entry;
}
const gen = () => crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
(async () => {
  const caKey = gen(), tlogKey = gen(), tsaKey = gen();
  const ctlog = await mock.initializeCTLog(caKey);
  const ca = await mock.initializeCA(caKey, ctlog);
  const tlog = await mock.initializeTLog(base, tlogKey);
  const tsa = await mock.initializeTSA(tsaKey);
  const handlers = [
    mock.fulcioHandler(ca, { strict: true }),
    mock.rekorHandler(tlog, { strict: true }),
    mock.rekorV2Handler(tlog, { strict: true }),
    mock.tsaHandler(tsa, { strict: true }),
  ];
  const start = new Date(Date.now() - 3600e3);
  const der = (c) => Buffer.from(c.rawData ? c.rawData : (c.toSchema ? c.toSchema().toBER(false) : c.buffer || c));
  const trustedRoot = {
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: [{ baseUrl: base, hashAlgorithm: 1, logId: { keyId: crypto.createHash('sha256').update(tlog.publicKey).digest() },
      publicKey: { rawBytes: tlog.publicKey, keyDetails: 5, validFor: { start } } }],
    certificateAuthorities: [{ subject: { organization: 'sigstore.mock', commonName: 'sigstore' }, uri: base,
      certChain: { certificates: [{ rawBytes: Buffer.from(ca.rootCertificate.buffer || ca.rootCertificate) }] }, validFor: { start } }],
    ctlogs: [{ baseUrl: base, hashAlgorithm: 1, logId: { keyId: Buffer.from(ctlog.logID) },
      publicKey: { rawBytes: Buffer.from(ctlog.publicKey), keyDetails: 5, validFor: { start } } }],
    timestampAuthorities: [{ subject: { organization: 'sigstore.mock', commonName: 'tsa' }, uri: base,
      certChain: { certificates: [ { rawBytes: tsa.intCertificate }, { rawBytes: tsa.rootCertificate } ] }, validFor: { start } }],
  };
  const trJSON = TrustedRoot.toJSON(trustedRoot);
  fs.writeFileSync(path.join(outdir, 'trusted_root.json'), JSON.stringify(trJSON, null, 2));
  const signingConfig = {
    mediaType: 'application/vnd.dev.sigstore.signingconfig.v0.2+json',
    caUrls: [{ url: base, majorApiVersion: 1, validFor: { start: start.toISOString() }, operator: 'mock' }],
    oidcUrls: [],
    rekorTlogUrls: [{ url: base, majorApiVersion: 1, validFor: { start: start.toISOString() }, operator: 'mock' }],
    tsaUrls: [{ url: base + '/api/v1/timestamp', majorApiVersion: 1, validFor: { start: start.toISOString() }, operator: 'mock' }],
    rekorTlogConfig: { selector: 'ANY' }, tsaConfig: { selector: 'ANY' },
  };
  fs.writeFileSync(path.join(outdir, 'client_trust_config.json'), JSON.stringify({
    mediaType: 'application/vnd.dev.sigstore.clienttrustconfig.v0.1+json', trustedRoot: trJSON, signingConfig }, null, 2));
  const srv = http.createServer((req, res) => {
    let chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      const h = handlers.find((x) => x.path === req.url.split('?')[0]);
      if (req.method !== 'POST' || !h) { res.writeHead(404); return res.end('not found'); }
      const body = Buffer.concat(chunks);
      let r;
      if (h.path === '/api/v1/log/entries' && process.env.MOCK_RAW_REKOR !== '1') {
        try {
          const e = await tlog.log(canonicalize(JSON.parse(body.toString())));
          // proto3-JSON consumers drop zero values; keep proof logIndex/hashes explicit anyway
          r = { statusCode: 201, response: JSON.stringify(e), contentType: 'application/json' };
        } catch (err) { r = { statusCode: 400, response: String(err) }; }
      } else {
        r = await h.fn(body.toString());
      }
      res.writeHead(r.statusCode, { 'Content-Type': r.contentType || 'text/plain' });
      res.end(r.response);
      console.log(new Date().toISOString(), req.method, req.url, r.statusCode);
    });
  });
  srv.listen(port, '127.0.0.1', () => console.log(`mock sigstore on ${base}; wrote ${outdir}/trusted_root.json`));
})().catch((e) => { console.error(e); process.exit(1); });
