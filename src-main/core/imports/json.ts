/**
 * JSON as Python's `json.dump` writes it: standard JSON plus the bare tokens
 * NaN, Infinity and -Infinity (Python's default, allow_nan=True), which
 * JSON.parse refuses. A small recursive-descent parser with line and column
 * in every error; `null` stays null (our own writer, results-writer.ts
 * jsonText, writes non-finite numbers as null).
 */
import { fail } from './errors';

const MAX_DEPTH = 32;

export type JsonValue = null | boolean | number | string | JsonValue[] | { [k: string]: JsonValue };

export function parseLenientJson(text: string, file: string): JsonValue {
  let i = 0;
  const at = (pos = i) => {
    let line = 1;
    let col = 1;
    for (let k = 0; k < pos; k++) {
      if (text.charCodeAt(k) === 10) {
        line++;
        col = 1;
      } else col++;
    }
    return { line, column: col };
  };
  const err = (msg: string, pos = i): never => fail(file, `not valid JSON (${msg})`, at(pos));
  const ws = () => {
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c === 32 || c === 9 || c === 10 || c === 13 || c === 0xfeff) i++;
      else break;
    }
  };
  const word = (w: string) => text.startsWith(w, i);

  const value = (depth: number): JsonValue => {
    if (depth > MAX_DEPTH) err(`nested deeper than ${MAX_DEPTH} levels`);
    ws();
    const c = text[i];
    if (c === undefined) return err('unexpected end of the file');
    if (c === '{') {
      i++;
      const obj: { [k: string]: JsonValue } = {};
      ws();
      if (text[i] === '}') {
        i++;
        return obj;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') err('expected a key in double quotes');
        const keyPos = i;
        const k = str();
        if (Object.prototype.hasOwnProperty.call(obj, k)) err(`key "${k}" appears twice`, keyPos);
        ws();
        if (text[i] !== ':') err('expected ":"');
        i++;
        const v = value(depth + 1);
        Object.defineProperty(obj, k, { value: v, enumerable: true, writable: true, configurable: true });
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return obj;
        }
        return err('expected "," or "}"');
      }
    }
    if (c === '[') {
      i++;
      const arr: JsonValue[] = [];
      ws();
      if (text[i] === ']') {
        i++;
        return arr;
      }
      for (;;) {
        arr.push(value(depth + 1));
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return arr;
        }
        return err('expected "," or "]"');
      }
    }
    if (c === '"') return str();
    if (word('true')) return (i += 4, true);
    if (word('false')) return (i += 5, false);
    if (word('null')) return (i += 4, null);
    if (word('NaN')) return (i += 3, NaN);
    if (word('Infinity')) return (i += 8, Infinity);
    if (word('-Infinity')) return (i += 9, -Infinity);
    const m = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (!m) return err(`unexpected ${JSON.stringify(c)}`);
    i += m[0].length;
    return Number(m[0]);
  };

  const str = (): string => {
    const start = i;
    i++; // opening quote
    let out = '';
    for (;;) {
      const c = text[i];
      if (c === undefined) return err('a text is not closed', start);
      if (c === '"') {
        i++;
        return out;
      }
      if (c === '\\') {
        const e = text[i + 1];
        const simple: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
        if (e !== undefined && simple[e] !== undefined) {
          out += simple[e];
          i += 2;
        } else if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) {
          out += String.fromCharCode(parseInt(text.slice(i + 2, i + 6), 16));
          i += 6;
        } else return err('a bad escape in a text');
      } else if (c.charCodeAt(0) < 0x20) {
        return err('a control character in a text');
      } else {
        out += c;
        i++;
      }
    }
  };

  const v = value(0);
  ws();
  if (i < text.length) err('unexpected text after the value');
  return v;
}
