// @file Expands a kolmo model's int8 weights to float32 before ONNX Runtime sees the model.
//
// Why: models/<id>/model.onnx stores each weight matrix as int8 rows plus one float32 scale per
// row, restored in the graph by Cast + Mul (a 4x smaller download). ONNX Runtime Node folds those
// nodes into float32 initializers once, at session creation; ONNX Runtime Web does not, and then
// every decoding step dequantizes all weights again (measured: about half of a WASM step). Doing
// the same arithmetic here, once, in float32 (q * scale, exactly what the Mul node computes), gives
// ORT the folded graph on every backend. Models without such pairs pass through unchanged.
//
// Only the protobuf fields that matter are decoded (ModelProto.graph = 7; GraphProto.node = 1,
// .initializer = 5; NodeProto.output = 2; TensorProto.dims = 1, .data_type = 2, .name = 8,
// .raw_data = 9); every other byte is copied as it is.
import { concatBytes } from './bytes.js';

const WIRE_VARINT = 0, WIRE_I64 = 1, WIRE_LEN = 2, WIRE_I32 = 5;
const DATA_TYPE_FLOAT = 1, DATA_TYPE_INT8 = 3;

function readVarint(buf, pos) {
  let value = 0, shift = 0;
  for (;;) {
    if (pos >= buf.length) throw new Error('truncated varint');
    const byte = buf[pos++];
    value += (byte & 0x7f) * 2 ** shift;
    if (byte < 0x80) return [value, pos];
    shift += 7;
    if (shift > 63) throw new Error('varint too long');
  }
}

function writeVarint(out, value) {
  while (value >= 0x80) {
    out.push((value % 0x80) | 0x80);
    value = Math.floor(value / 0x80);
  }
  out.push(value);
}

/** Top-level fields of a message: [{field, wire, start, end, data}] (data: payload of LEN fields). */
function fields(buf) {
  const list = [];
  let pos = 0;
  while (pos < buf.length) {
    const start = pos;
    let key;
    [key, pos] = readVarint(buf, pos);
    const field = Math.floor(key / 8), wire = key & 7;
    let data = null;
    if (wire === WIRE_VARINT) [, pos] = readVarint(buf, pos);
    else if (wire === WIRE_I64) pos += 8;
    else if (wire === WIRE_I32) pos += 4;
    else if (wire === WIRE_LEN) {
      let len;
      [len, pos] = readVarint(buf, pos);
      data = buf.subarray(pos, pos + len);
      pos += len;
    } else throw new Error(`unsupported wire type ${wire}`);
    if (pos > buf.length) throw new Error('truncated field');
    list.push({ field, wire, start, end: pos, data });
  }
  return list;
}

const text = (bytes) => new TextDecoder().decode(bytes);

function parseTensor(buf) {
  const t = { name: '', dataType: 0, dims: [], raw: null };
  for (const f of fields(buf)) {
    if (f.field === 8 && f.data) t.name = text(f.data);
    else if (f.field === 2 && f.wire === WIRE_VARINT) t.dataType = readVarint(buf, f.start + 1)[0];
    else if (f.field === 9 && f.data) t.raw = f.data;
    else if (f.field === 1 && f.wire === WIRE_VARINT) t.dims.push(readVarint(buf, f.start + 1)[0]);
    else if (f.field === 1 && f.data) for (let p = 0; p < f.data.length;) {
      let d;
      [d, p] = readVarint(f.data, p);
      t.dims.push(d);
    }
  }
  return t;
}

function lengthDelimited(field, payload) {
  const out = [];
  writeVarint(out, field * 8 + WIRE_LEN);
  writeVarint(out, payload.length);
  return concatBytes([Uint8Array.from(out), payload]);
}

function floatTensor(name, dims, values) {
  const head = [];
  for (const d of dims) { writeVarint(head, 1 * 8 + WIRE_VARINT); writeVarint(head, d); }
  writeVarint(head, 2 * 8 + WIRE_VARINT);
  writeVarint(head, DATA_TYPE_FLOAT);
  const nameBytes = new TextEncoder().encode(name);
  return concatBytes([Uint8Array.from(head), lengthDelimited(8, nameBytes),
    lengthDelimited(9, new Uint8Array(values.buffer, values.byteOffset, values.byteLength))]);
}

function nodeOutputs(buf) {
  return fields(buf).filter((f) => f.field === 2 && f.data).map((f) => text(f.data));
}

/**
 * @param {Uint8Array} modelBytes an ONNX model
 * @returns {Uint8Array} the model with int8-row weights expanded to float32 (or modelBytes itself)
 */
export function expandInt8Weights(modelBytes) {
  const model = fields(modelBytes);
  const graphField = model.find((f) => f.field === 7 && f.data);
  if (!graphField) return modelBytes;
  const graph = fields(graphField.data);
  const tensors = new Map();
  for (const f of graph) if (f.field === 5 && f.data) tensors.set(parseTensor(f.data).name, f);
  const expanded = new Map(); // weight name -> new float32 TensorProto bytes
  const dropped = new Set(); // initializer names replaced
  for (const [name, f] of tensors) {
    if (!name.endsWith('_int8')) continue;
    const base = name.slice(0, -'_int8'.length);
    const scaleField = tensors.get(base + '_scale');
    if (!scaleField) continue;
    const q = parseTensor(f.data), s = parseTensor(scaleField.data);
    if (q.dataType !== DATA_TYPE_INT8 || s.dataType !== DATA_TYPE_FLOAT || !q.raw || !s.raw || q.dims.length !== 2) continue;
    const [rows, cols] = q.dims;
    if (q.raw.length !== rows * cols || s.raw.length !== rows * 4) continue;
    const scales = new Float32Array(s.raw.slice().buffer);
    const ints = new Int8Array(q.raw.buffer, q.raw.byteOffset, q.raw.length);
    const values = new Float32Array(rows * cols);
    for (let r = 0; r < rows; r++) {
      const scale = scales[r];
      for (let c = 0, i = r * cols; c < cols; c++, i++) values[i] = Math.fround(ints[i] * scale);
    }
    expanded.set(base, floatTensor(base, q.dims, values));
    dropped.add(name).add(base + '_scale');
  }
  if (expanded.size === 0) return modelBytes;
  const parts = [];
  for (const f of graph) {
    if (f.field === 5 && f.data && dropped.has(parseTensor(f.data).name)) continue;
    if (f.field === 1 && f.data) {
      // The Cast (-> name_float) and Mul (-> name) nodes that restored an expanded weight.
      const outs = nodeOutputs(f.data);
      if (outs.some((o) => expanded.has(o) || (o.endsWith('_float') && expanded.has(o.slice(0, -'_float'.length))))) continue;
    }
    parts.push(graphField.data.subarray(f.start, f.end));
  }
  for (const t of expanded.values()) parts.push(lengthDelimited(5, t));
  const newGraph = concatBytes(parts);
  return concatBytes(model.map((f) => (f === graphField ? lengthDelimited(7, newGraph) : modelBytes.subarray(f.start, f.end))));
}
