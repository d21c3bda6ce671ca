// A loopback sigstore instance for tests: Fulcio, Rekor v1 and v2, and an RFC 3161 timestamp authority,
// served from the @sigstore/mock handlers with fresh keys at every start.
//
// usage: NODE_PATH=<oracles>/npm/sigstore/node_modules node mock-sigstore-server.js PORT OUTDIR
//
// Writes OUTDIR/trusted_root.json, OUTDIR/signing_config.json and OUTDIR/client_trust_config.json (both
// together, as sigstore-python's --trust-config takes them), then prints "ready" on stdout.
//
// Two things make the mock behave like the production services clients are written against:
// - Rekor stores a canonical entry body (PEMs re-wrapped at 64 columns, DSSE proposals turned into the
//   stored dsse form); @sigstore/mock would echo the proposal.
// - Every clock reading is truncated to whole seconds, so the TSA's GeneralizedTime carries no fraction
//   (sigstore-js rejects the DER-trimmed fractions such as ".87Z" that the mock would otherwise emit).
// - Rekor v2 stores `hashedrekord` 0.0.2 bodies in their stored form (`spec.hashedRekordV002`), not the
//   creation request the mock would echo.
// - The TSA also takes standard RFC 3161 requests (DER `application/timestamp-query`, with a 64-bit
//   nonce), as the production timestamp authority does; @sigstore/mock alone speaks only JSON.
'use strict';
const http = require('http');
const fs = require('fs');
const path = require('path');
const crypto = require('crypto');

const RealDate = Date;
const wholeSecondNow = () => Math.floor(RealDate.now() / 1000) * 1000;
global.Date = class extends RealDate {
  constructor(...args) {
    if (args.length === 0) super(wholeSecondNow());
    else super(...args);
  }
  static now() {
    return wholeSecondNow();
  }
};

// The mock builds the TSTInfo nonce with `new Integer({ value })`, a JavaScript number; a DER request's
// nonce is 64 bits, so a BigInt value is built exactly instead. Patched before @sigstore/mock loads.
const asn1js = require('asn1js');
const RealInteger = asn1js.Integer;
asn1js.Integer = class extends RealInteger {
  constructor(params = {}) {
    if (typeof params.value === 'bigint') return RealInteger.fromBigInt(params.value);
    super(params);
  }
};

const mock = require('@sigstore/mock');
const { TrustedRoot, TransparencyLogEntry } = require('@sigstore/protobuf-specs');

const port = Number.parseInt(process.argv[2], 10);
const outdir = process.argv[3];
if (!port || !outdir) {
  console.error('usage: mock-sigstore-server.js PORT OUTDIR');
  process.exit(2);
}
const base = `http://127.0.0.1:${port}`;

const sha256 = (bytes) => crypto.createHash('sha256').update(bytes).digest();

// A PEM carried base64-encoded, re-wrapped at 64 columns with LF line ends.
function canonicalPem(b64) {
  const text = Buffer.from(b64, 'base64').toString();
  const m = text.match(/-----BEGIN ([A-Z ]+)-----([\s\S]*?)-----END \1-----/);
  if (!m) return b64;
  const lines = m[2].replace(/\s+/g, '').match(/.{1,64}/g).join('\n');
  return Buffer.from(`-----BEGIN ${m[1]}-----\n${lines}\n-----END ${m[1]}-----\n`).toString('base64');
}

// The body Rekor v1 stores for a proposed entry.
function canonicalEntry(entry) {
  if (entry.kind === 'hashedrekord' && entry.spec?.signature?.publicKey) {
    entry.spec.signature.publicKey.content = canonicalPem(entry.spec.signature.publicKey.content);
    return entry;
  }
  if (entry.kind === 'dsse' && entry.spec?.proposedContent) {
    const envelopeText = entry.spec.proposedContent.envelope;
    const envelope = JSON.parse(envelopeText);
    const verifiers = entry.spec.proposedContent.verifiers.map(canonicalPem);
    return {
      apiVersion: entry.apiVersion || '0.0.1',
      kind: 'dsse',
      spec: {
        envelopeHash: { algorithm: 'sha256', value: sha256(Buffer.from(envelopeText)).toString('hex') },
        payloadHash: { algorithm: 'sha256', value: sha256(Buffer.from(envelope.payload, 'base64')).toString('hex') },
        signatures: envelope.signatures.map((s, i) => ({
          signature: s.sig,
          verifier: verifiers[Math.min(i, verifiers.length - 1)],
        })),
      },
    };
  }
  return entry;
}

// A DER TimeStampReq as the request object the mock TSA signs.
const TSA_POLICY = '1.3.6.1.4.1.57264.2';
function parseTimeStampReq(der) {
  const parsed = asn1js.fromBER(new Uint8Array(der).buffer);
  if (parsed.offset === -1) throw new Error('timestamp request is not DER');
  const fields = parsed.result.valueBlock.value;
  const imprint = fields[1].valueBlock.value;
  const req = {
    hashAlgorithmOID: imprint[0].valueBlock.value[0].valueBlock.toString(),
    artifactHash: Buffer.from(imprint[1].valueBlock.valueHexView),
    policyOID: TSA_POLICY,
    nonce: 1234567890,
    certReq: false,
  };
  for (const f of fields.slice(2)) {
    if (f instanceof asn1js.ObjectIdentifier) req.policyOID = f.valueBlock.toString();
    else if (f instanceof RealInteger) req.nonce = f.toBigInt();
    else if (f instanceof asn1js.Boolean) req.certReq = f.valueBlock.value;
  }
  return req;
}

const newKey = () => crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' });

async function main() {
  const caKey = newKey();
  const ctlog = await mock.initializeCTLog(caKey);
  const ca = await mock.initializeCA(caKey, ctlog);
  const tlog = await mock.initializeTLog(base, newKey());
  const tsa = await mock.initializeTSA(newKey());
  const handlers = [
    mock.fulcioHandler(ca, { strict: true }),
    mock.rekorHandler(tlog, { strict: true }),
    mock.rekorV2Handler(tlog, { strict: true }),
    mock.tsaHandler(tsa, { strict: true }),
  ];

  const start = new RealDate(wholeSecondNow() - 3600e3);
  const trustedRoot = TrustedRoot.toJSON({
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: [{
      baseUrl: base, hashAlgorithm: 1, logId: { keyId: sha256(tlog.publicKey) },
      publicKey: { rawBytes: tlog.publicKey, keyDetails: 5, validFor: { start } },
    }],
    certificateAuthorities: [{
      subject: { organization: 'sigstore.mock', commonName: 'sigstore' }, uri: base,
      certChain: { certificates: [{ rawBytes: Buffer.from(ca.rootCertificate) }] }, validFor: { start },
    }],
    ctlogs: [{
      baseUrl: base, hashAlgorithm: 1, logId: { keyId: Buffer.from(ctlog.logID) },
      publicKey: { rawBytes: Buffer.from(ctlog.publicKey), keyDetails: 5, validFor: { start } },
    }],
    timestampAuthorities: [{
      subject: { organization: 'sigstore.mock', commonName: 'tsa' }, uri: base,
      certChain: { certificates: [{ rawBytes: tsa.intCertificate }, { rawBytes: tsa.rootCertificate }] },
      validFor: { start },
    }],
  });
  const validFor = { start: start.toISOString() };
  const signingConfig = {
    mediaType: 'application/vnd.dev.sigstore.signingconfig.v0.2+json',
    caUrls: [{ url: base, majorApiVersion: 1, validFor, operator: 'mock' }],
    oidcUrls: [],
    rekorTlogUrls: [{ url: base, majorApiVersion: 1, validFor, operator: 'mock' }],
    tsaUrls: [{ url: `${base}/api/v1/timestamp`, majorApiVersion: 1, validFor, operator: 'mock' }],
    rekorTlogConfig: { selector: 'ANY' },
    tsaConfig: { selector: 'ANY' },
  };
  const write = (name, doc) => fs.writeFileSync(path.join(outdir, name), JSON.stringify(doc, null, 2));
  write('trusted_root.json', trustedRoot);
  write('signing_config.json', signingConfig);
  write('client_trust_config.json', {
    mediaType: 'application/vnd.dev.sigstore.clienttrustconfig.v0.1+json', trustedRoot, signingConfig,
  });

  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      const route = req.url.split('?')[0];
      const handler = handlers.find((h) => h.path === route);
      if (req.method !== 'POST' || !handler) {
        res.writeHead(404);
        res.end('not found');
        return;
      }
      const raw = Buffer.concat(chunks);
      const body = raw.toString();
      let reply;
      try {
        if (route === '/api/v1/timestamp' && req.headers['content-type'] === 'application/timestamp-query') {
          const response = await tsa.timestamp(parseTimeStampReq(raw));
          reply = { statusCode: 200, response, contentType: 'application/timestamp-reply' };
        } else if (route === '/api/v2/log/entries' && JSON.parse(body).hashedRekordRequestV002) {
          const request = JSON.parse(body).hashedRekordRequestV002;
          const stored = {
            apiVersion: '0.0.2',
            kind: 'hashedrekord',
            spec: {
              hashedRekordV002: {
                data: { algorithm: 'SHA2_256', digest: request.digest },
                signature: request.signature,
              },
            },
          };
          const entry = await tlog.logV2(stored);
          entry.kindVersion.kind = 'hashedrekord';
          delete entry.integratedTime;
          // The mock proves inclusion in a tree of one entry, whose index is 0.
          entry.logIndex = '0';
          entry.inclusionProof.logIndex = '0';
          const response = JSON.stringify(TransparencyLogEntry.toJSON(entry));
          reply = { statusCode: 201, response, contentType: 'application/json' };
        } else if (route === '/api/v1/log/entries') {
          const entry = await tlog.log(canonicalEntry(JSON.parse(body)));
          reply = { statusCode: 201, response: JSON.stringify(entry), contentType: 'application/json' };
        } else {
          reply = await handler.fn(body);
        }
      } catch (err) {
        reply = { statusCode: 400, response: String(err) };
      }
      res.writeHead(reply.statusCode, { 'Content-Type': reply.contentType || 'text/plain' });
      res.end(reply.response);
      console.error(new RealDate().toISOString(), req.method, req.url, reply.statusCode);
    });
  });
  server.listen(port, '127.0.0.1', () => console.log('ready'));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
