// Synchronous MD5, SHA-1, SHA-256, SHA-384 and SHA-512 in plain JavaScript, so digest()
// evaluates synchronously in the browser (SubtleCrypto is async) and in Node alike.

const utf8 = (s) => new TextEncoder().encode(s)

function pad (bytes, littleEndian, blockBytes) {
  const lenBytes = blockBytes === 128 ? 16 : 8
  const total = Math.ceil((bytes.length + 1 + lenBytes) / blockBytes) * blockBytes
  const out = new Uint8Array(total)
  out.set(bytes)
  out[bytes.length] = 0x80
  const bits = bytes.length * 8
  const hi = Math.floor(bits / 0x100000000); const lo = bits >>> 0
  if (littleEndian) {
    for (let i = 0; i < 4; i++) { out[total - 8 + i] = (lo >>> (8 * i)) & 255; out[total - 4 + i] = (hi >>> (8 * i)) & 255 }
  } else {
    for (let i = 0; i < 4; i++) { out[total - 1 - i] = (lo >>> (8 * i)) & 255; out[total - 5 - i] = (hi >>> (8 * i)) & 255 }
  }
  return out
}

const rotl = (x, n) => (x << n) | (x >>> (32 - n))
const rotr = (x, n) => (x >>> n) | (x << (32 - n))

const MD5_S = [7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21]
const MD5_K = Array.from({ length: 64 }, (_, i) => Math.floor(Math.abs(Math.sin(i + 1)) * 0x100000000) | 0)

function md5 (bytes) {
  const m = pad(bytes, true, 64)
  let a0 = 0x67452301; let b0 = 0xefcdab89 | 0; let c0 = 0x98badcfe | 0; let d0 = 0x10325476
  const w = new Int32Array(16)
  for (let off = 0; off < m.length; off += 64) {
    for (let i = 0; i < 16; i++) w[i] = m[off + 4 * i] | (m[off + 4 * i + 1] << 8) | (m[off + 4 * i + 2] << 16) | (m[off + 4 * i + 3] << 24)
    let a = a0; let b = b0; let c = c0; let d = d0
    for (let i = 0; i < 64; i++) {
      let f, g
      if (i < 16) { f = (b & c) | (~b & d); g = i } else if (i < 32) { f = (d & b) | (~d & c); g = (5 * i + 1) % 16 } else if (i < 48) { f = b ^ c ^ d; g = (3 * i + 5) % 16 } else { f = c ^ (b | ~d); g = (7 * i) % 16 }
      const tmp = d; d = c; c = b
      b = (b + rotl((a + f + MD5_K[i] + w[g]) | 0, MD5_S[(i >> 4) * 4 + (i % 4)])) | 0
      a = tmp
    }
    a0 = (a0 + a) | 0; b0 = (b0 + b) | 0; c0 = (c0 + c) | 0; d0 = (d0 + d) | 0
  }
  const out = new Uint8Array(16)
  ;[a0, b0, c0, d0].forEach((v, i) => { for (let j = 0; j < 4; j++) out[4 * i + j] = (v >>> (8 * j)) & 255 })
  return out
}

function words32 (m, off, w) {
  for (let i = 0; i < 16; i++) w[i] = (m[off + 4 * i] << 24) | (m[off + 4 * i + 1] << 16) | (m[off + 4 * i + 2] << 8) | m[off + 4 * i + 3]
}

function bigEndian32 (hs) {
  const out = new Uint8Array(hs.length * 4)
  hs.forEach((v, i) => { for (let j = 0; j < 4; j++) out[4 * i + j] = (v >>> (24 - 8 * j)) & 255 })
  return out
}

function sha1 (bytes) {
  const m = pad(bytes, false, 64)
  const h = [0x67452301, 0xefcdab89 | 0, 0x98badcfe | 0, 0x10325476, 0xc3d2e1f0 | 0]
  const w = new Int32Array(80)
  for (let off = 0; off < m.length; off += 64) {
    words32(m, off, w)
    for (let i = 16; i < 80; i++) w[i] = rotl(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1)
    let [a, b, c, d, e] = h
    for (let i = 0; i < 80; i++) {
      const f = i < 20 ? (b & c) | (~b & d) : i < 40 ? b ^ c ^ d : i < 60 ? (b & c) | (b & d) | (c & d) : b ^ c ^ d
      const k = i < 20 ? 0x5a827999 : i < 40 ? 0x6ed9eba1 : i < 60 ? 0x8f1bbcdc | 0 : 0xca62c1d6 | 0
      const t = (rotl(a, 5) + f + e + k + w[i]) | 0
      e = d; d = c; c = rotl(b, 30); b = a; a = t
    }
    h[0] = (h[0] + a) | 0; h[1] = (h[1] + b) | 0; h[2] = (h[2] + c) | 0; h[3] = (h[3] + d) | 0; h[4] = (h[4] + e) | 0
  }
  return bigEndian32(h)
}

const primes = (n) => { const p = []; for (let x = 2; p.length < n; x++) if (p.every((q) => x % q)) p.push(x); return p }
const frac32 = (x) => Math.floor((x - Math.floor(x)) * 0x100000000) | 0
const SHA256_K = primes(64).map((p) => frac32(Math.cbrt(p)))

function sha256 (bytes) {
  const m = pad(bytes, false, 64)
  const h = primes(8).map((p) => frac32(Math.sqrt(p)))
  const w = new Int32Array(64)
  for (let off = 0; off < m.length; off += 64) {
    words32(m, off, w)
    for (let i = 16; i < 64; i++) {
      const s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >>> 3)
      const s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >>> 10)
      w[i] = (w[i - 16] + s0 + w[i - 7] + s1) | 0
    }
    let [a, b, c, d, e, f, g, hh] = h
    for (let i = 0; i < 64; i++) {
      const t1 = (hh + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + SHA256_K[i] + w[i]) | 0
      const t2 = ((rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) | 0
      hh = g; g = f; f = e; e = (d + t1) | 0; d = c; c = b; b = a; a = (t1 + t2) | 0
    }
    ;[a, b, c, d, e, f, g, hh].forEach((v, i) => { h[i] = (h[i] + v) | 0 })
  }
  return bigEndian32(h)
}

// SHA-512 constants are the first 64 bits of the fractional parts of cube/square roots of
// primes; they need more precision than doubles, so they are listed (FIPS 180-4).
const K512 = ('428a2f98d728ae22 7137449123ef65cd b5c0fbcfec4d3b2f e9b5dba58189dbbc 3956c25bf348b538 59f111f1b605d019 ' +
  '923f82a4af194f9b ab1c5ed5da6d8118 d807aa98a3030242 12835b0145706fbe 243185be4ee4b28c 550c7dc3d5ffb4e2 ' +
  '72be5d74f27b896f 80deb1fe3b1696b1 9bdc06a725c71235 c19bf174cf692694 e49b69c19ef14ad2 efbe4786384f25e3 ' +
  '0fc19dc68b8cd5b5 240ca1cc77ac9c65 2de92c6f592b0275 4a7484aa6ea6e483 5cb0a9dcbd41fbd4 76f988da831153b5 ' +
  '983e5152ee66dfab a831c66d2db43210 b00327c898fb213f bf597fc7beef0ee4 c6e00bf33da88fc2 d5a79147930aa725 ' +
  '06ca6351e003826f 142929670a0e6e70 27b70a8546d22ffc 2e1b21385c26c926 4d2c6dfc5ac42aed 53380d139d95b3df ' +
  '650a73548baf63de 766a0abb3c77b2a8 81c2c92e47edaee6 92722c851482353b a2bfe8a14cf10364 a81a664bbc423001 ' +
  'c24b8b70d0f89791 c76c51a30654be30 d192e819d6ef5218 d69906245565a910 f40e35855771202a 106aa07032bbd1b8 ' +
  '19a4c116b8d2d0c8 1e376c085141ab53 2748774cdf8eeb99 34b0bcb5e19b48a8 391c0cb3c5c95a63 4ed8aa4ae3418acb ' +
  '5b9cca4f7763e373 682e6ff3d6b2b8a3 748f82ee5defb2fc 78a5636f43172f60 84c87814a1f0ab72 8cc702081a6439ec ' +
  '90befffa23631e28 a4506cebde82bde9 bef9a3f7b2c67915 c67178f2e372532b ca273eceea26619c d186b8c721c0c207 ' +
  'eada7dd6cde0eb1e f57d4f7fee6ed178 06f067aa72176fba 0a637dc5a2c898a6 113f9804bef90dae 1b710b35131c471b ' +
  '28db77f523047d84 32caab7b40c72493 3c9ebe0a15c9bebc 431d67c49c100d4c 4cc5d4becb3e42b6 597f299cfc657e2a ' +
  '5fcb6fab3ad6faec 6c44198c4a475817').split(' ')
const IV512 = '6a09e667f3bcc908 bb67ae8584caa73b 3c6ef372fe94f82b a54ff53a5f1d36f1 510e527fade682d1 9b05688c2b3e6c1f 1f83d9abfb41bd6b 5be0cd19137e2179'.split(' ')
const IV384 = 'cbbb9d5dc1059ed8 629a292a367cd507 9159015a3070dd17 152fecd8f70e5939 67332667ffc00b31 8eb44a8768581511 db0c2e0d64f98fa7 47b5481dbefa4fa4'.split(' ')

function sha512 (bytes, iv, outWords) {
  const B = (hex) => BigInt('0x' + hex)
  const MASK = (1n << 64n) - 1n
  const rr = (x, n) => ((x >> n) | (x << (64n - n))) & MASK
  const K = K512.map(B)
  const h = iv.map(B)
  const m = pad(bytes, false, 128)
  const w = new Array(80)
  for (let off = 0; off < m.length; off += 128) {
    for (let i = 0; i < 16; i++) {
      let v = 0n
      for (let j = 0; j < 8; j++) v = (v << 8n) | BigInt(m[off + 8 * i + j])
      w[i] = v
    }
    for (let i = 16; i < 80; i++) {
      const s0 = rr(w[i - 15], 1n) ^ rr(w[i - 15], 8n) ^ (w[i - 15] >> 7n)
      const s1 = rr(w[i - 2], 19n) ^ rr(w[i - 2], 61n) ^ (w[i - 2] >> 6n)
      w[i] = (w[i - 16] + s0 + w[i - 7] + s1) & MASK
    }
    let [a, b, c, d, e, f, g, hh] = h
    for (let i = 0; i < 80; i++) {
      const t1 = (hh + (rr(e, 14n) ^ rr(e, 18n) ^ rr(e, 41n)) + ((e & f) ^ (~e & MASK & g)) + K[i] + w[i]) & MASK
      const t2 = ((rr(a, 28n) ^ rr(a, 34n) ^ rr(a, 39n)) + ((a & b) ^ (a & c) ^ (b & c))) & MASK
      hh = g; g = f; f = e; e = (d + t1) & MASK; d = c; c = b; b = a; a = (t1 + t2) & MASK
    }
    ;[a, b, c, d, e, f, g, hh].forEach((v, i) => { h[i] = (h[i] + v) & MASK })
  }
  const out = new Uint8Array(outWords * 8)
  for (let i = 0; i < outWords; i++) for (let j = 0; j < 8; j++) out[8 * i + j] = Number((h[i] >> BigInt(56 - 8 * j)) & 255n)
  return out
}

const ALGORITHMS = {
  MD5: md5,
  'SHA-1': sha1,
  'SHA-256': sha256,
  'SHA-384': (b) => sha512(b, IV384, 6),
  'SHA-512': (b) => sha512(b, IV512, 8)
}

/** Digest bytes of a UTF-8 string, or null for an unknown algorithm name. */
export function digestBytes (message, algorithm) {
  const fn = ALGORITHMS[algorithm]
  return fn ? fn(utf8(message)) : null
}

export const toHex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')

export function toBase64 (bytes) {
  let s = ''
  for (const b of bytes) s += String.fromCharCode(b)
  return btoa(s)
}
