// A JSON document's bytes as the text JSON.parse reads fastest. V8 parses a one-byte string faster than
// a two-byte one, and one character outside Latin-1 anywhere makes the whole decoded text
// two-byte: GitHub's 13 MB document has 140 such bytes. Decoding it as UTF-8 then parsing took
// 98-115 ms in a fresh process, 87-102 ms this way. Characters outside ASCII become `\uXXXX` escapes,
// which JSON reads back as the same characters. They may only stand inside strings, where a valid
// document has them anyway; elsewhere either text is a syntax error.
import { Buffer, isAscii } from 'node:buffer';

const UTF8_BOM = [0xef, 0xbb, 0xbf];

/** The document's text: as `bytes.toString('utf8')` reads to JSON.parse, without a leading BOM, but one-byte. */
export function jsonText(bytes: Buffer): string {
  const start = UTF8_BOM.every((byte, i) => bytes[i] === byte) ? UTF8_BOM.length : 0;
  // Latin-1 maps each byte to one character: ASCII stays itself, and the bytes of a UTF-8 sequence
  // (all >= 0x80) stay together, to be decoded run by run.
  const text = bytes.toString('latin1', start);
  return isAscii(bytes) ? text : text.replace(NON_ASCII_RUN, (run) => escaped(Buffer.from(run, 'latin1').toString('utf8')));
}

const NON_ASCII_RUN = /[\x80-\xff]+/g;

function escaped(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) out += `\\u${text.charCodeAt(i).toString(16).padStart(4, '0')}`;
  return out;
}

/** JSON.parse of `jsonText(bytes)`; a syntax error is reported as for the UTF-8 text (its positions and characters). */
export function parseJsonText(text: string, bytes: Buffer): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const original = bytes.toString('utf8');
    if (original !== text) JSON.parse(original.charCodeAt(0) === 0xfeff ? original.slice(1) : original);
    throw error;
  }
}
