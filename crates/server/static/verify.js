// Checks each signed record of the page with WebCrypto Ed25519: the document must be its own
// canonical JSON (keys sorted, no whitespace), the key found by `kid` in the embedded key set,
// and the signature must cover the canonical JSON of the payload (quytac-core identity::badge).
(() => {
  // The words, in the page's language, from the script element's data attributes.
  const say = Object.assign(
    { notCanonical: 'not canonical', fieldsMissing: 'fields missing', unknownKey: 'unknown key', valid: 'signature valid', invalid: 'signature invalid', cannotCheck: 'cannot check' },
    document.currentScript ? document.currentScript.dataset : {},
  );
  const hex = (s) => {
    if (!/^([0-9a-f]{2})+$/.test(s)) throw new Error('not hex');
    return new Uint8Array(s.match(/../g).map((h) => parseInt(h, 16)));
  };
  const canonical = (v) => {
    if (Array.isArray(v)) return '[' + v.map(canonical).join(',') + ']';
    if (v !== null && typeof v === 'object') {
      return '{' + Object.keys(v).sort().map((k) => JSON.stringify(k) + ':' + canonical(v[k])).join(',') + '}';
    }
    return JSON.stringify(v);
  };
  async function check(el) {
    const text = el.dataset.signed.trim();
    const doc = JSON.parse(text);
    if (canonical(doc) !== text) return ['invalid', say.notCanonical];
    const payload = doc[el.dataset.field];
    if (!payload || typeof doc.signature !== 'string') return ['invalid', say.fieldsMissing];
    const entry = JSON.parse(el.dataset.keys).keys.find((k) => k.kid === payload.kid && k.alg === 'Ed25519');
    if (!entry) return ['invalid', say.unknownKey + ' ' + payload.kid];
    if (!window.crypto || !crypto.subtle) throw new Error('WebCrypto unavailable (needs HTTPS)');
    const key = await crypto.subtle.importKey('raw', hex(entry.public_key), { name: 'Ed25519' }, false, ['verify']);
    const ok = await crypto.subtle.verify({ name: 'Ed25519' }, key, hex(doc.signature), new TextEncoder().encode(canonical(payload)));
    return ok
      ? ['valid', say.valid + ' (' + entry.kid + ')']
      : ['invalid', say.invalid];
  }
  async function verifyAll() {
    for (const el of document.querySelectorAll('.signed[data-signed]')) {
      const out = el.querySelector('.browser-verdict');
      let result, message;
      try {
        [result, message] = await check(el);
      } catch (e) {
        [result, message] = ['error', say.cannotCheck + ': ' + e.message];
      }
      el.dataset.result = result;
      out.textContent = message;
      out.className = 'browser-verdict ' + (result === 'valid' ? 'verdict-pass' : 'verdict-violation');
    }
    document.body.dataset.verified = 'done';
  }
  window.quytacVerifyAll = verifyAll;
  verifyAll();
})();
