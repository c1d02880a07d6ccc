// Ticket codes checked on the phone, without the server (invariant 4): the same rules as
// models/ticket_codes.py's CodeVerifier, with the public keys of the synced door list.
//
// A code is `AD1-<KEY ID>-<BODY>`: the body is unpadded base32 (RFC 4648, upper case) of
// the ticket id (16 bytes), the event id (16 bytes) and an Ed25519 signature (64 bytes)
// over `AD1-<KEY ID>-` followed by the two ids' bytes. A ticket passed on to someone
// else gets a new code `AD2-<KEY ID>-<BODY>`: after the two ids come two bytes of its code
// generation (big-endian, 1 and up), signed with them; generation 0 is spelt AD1 only.
// WebCrypto verifies the signature (Ed25519 in current Chromium, Safari and Firefox);
// nothing here can make a code.

const VERSION = "AD1";
const TRANSFERRED_VERSION = "AD2";
const ID_BYTES = 16;
const GENERATION_BYTES = 2;
const SIGNATURE_BYTES = 64;
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const MAX_CODE = 400; // the server checks a longer code as empty

// Thrown when this browser's WebCrypto has no Ed25519: codes cannot be checked offline.
export class NoEd25519 extends Error {}

function base32Decode(text) {
  const bytes = [];
  let bits = 0;
  let value = 0;
  for (const char of text) {
    const index = ALPHABET.indexOf(char);
    if (index < 0) return null;
    value = ((value << 5) | index) & 0xffff; // only the last bits are still needed
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      bytes.push((value >> bits) & 0xff);
    }
  }
  // Only the spelling the server issues: no whole unused character, unused bits zero.
  if (bits >= 5 || (value & ((1 << bits) - 1)) !== 0) return null;
  return new Uint8Array(bytes);
}

function base64Decode(text) {
  try {
    return Uint8Array.from(atob(text), (char) => char.charCodeAt(0));
  } catch {
    return null;
  }
}

const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

// The parts of a well-formed code, or null; the signature is not checked here.
export function parseCode(code) {
  if (typeof code !== "string" || code.length > MAX_CODE) return null;
  const parts = code.trim().split("-");
  if (parts.length !== 3 || (parts[0] !== VERSION && parts[0] !== TRANSFERRED_VERSION)) return null;
  const [version, keyId, body] = parts;
  const signedBytes = 2 * ID_BYTES + (version === TRANSFERRED_VERSION ? GENERATION_BYTES : 0);
  const raw = base32Decode(body);
  if (!raw || raw.length !== signedBytes + SIGNATURE_BYTES) return null;
  const ticket = raw.subarray(0, ID_BYTES);
  const event = raw.subarray(ID_BYTES, 2 * ID_BYTES);
  const generation = version === TRANSFERRED_VERSION ? (raw[2 * ID_BYTES] << 8) | raw[2 * ID_BYTES + 1] : 0;
  if (version === TRANSFERRED_VERSION && generation === 0) return null; // AD1 is its one spelling
  const prefix = new TextEncoder().encode(`${version}-${keyId}-`);
  const message = new Uint8Array(prefix.length + signedBytes);
  message.set(prefix);
  message.set(raw.subarray(0, signedBytes), prefix.length);
  return {
    keyId,
    ticketId: hex(ticket),
    eventId: hex(event),
    generation,
    message,
    signature: raw.subarray(signedBytes),
  };
}

// The synced list's keys ({key_id, public_key}) made ready for WebCrypto, once per list.
export async function importKeys(keys) {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) throw new NoEd25519("WebCrypto is not available");
  const imported = new Map();
  for (const key of keys || []) {
    const raw = base64Decode(key.public_key || "");
    if (!raw || raw.length !== 32 || !key.key_id) continue;
    try {
      imported.set(
        key.key_id,
        await subtle.importKey("raw", raw, { name: "Ed25519" }, false, ["verify"]),
      );
    } catch (error) {
      if (error?.name === "NotSupportedError") throw new NoEd25519(error.message);
      // A key this browser cannot read: codes of that key stay unverifiable (invalid).
    }
  }
  return imported;
}

// {ticketId, eventId, keyId, generation} of a code signed by one of `keys` (from importKeys), else null.
export async function verifyCode(code, keys) {
  const parsed = parseCode(code);
  if (!parsed) return null;
  const key = keys.get(parsed.keyId);
  if (!key) return null;
  let good = false;
  try {
    good = await crypto.subtle.verify({ name: "Ed25519" }, key, parsed.signature, parsed.message);
  } catch {
    good = false;
  }
  if (!good) return null;
  return { ticketId: parsed.ticketId, eventId: parsed.eventId, keyId: parsed.keyId, generation: parsed.generation };
}
