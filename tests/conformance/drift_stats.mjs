// How far apart two inference paths' logits are: the max |Δlogit| and its distribution, over
// every entry of every row. The rounding layer decodes exactly while max |Δ| <= ε
// (docs/DETERMINISM.md §5), so the max is the figure that counts; the percentiles show how much
// of the distribution sits near it.
//
// The distribution is a histogram on the float32 bit pattern of |Δ| (exponent + 4 mantissa bits:
// 16 bins per octave, each at most 4.4% wide), so that hundreds of millions of entries cost one
// subtraction and one shift each. Percentiles are reported as their bin's upper edge.

const kShift = 19; // 23 mantissa bits - 4 kept
const kBins = 1 << (32 - kShift - 1); // sign bit is always 0

export class DriftStats {
  count = 0;
  max = 0;
  /** Where the max was: {label, row, column}. */
  argmax = null;
  histogram = new Float64Array(kBins);
  #diff = new Float32Array(0);

  /**
   * Adds every entry of two equally long logits arrays. @param {Float32Array} a @param {Float32Array} b
   * @param {string} [label] names the text, for argmax
   * @param {number} [vocab] row length, for argmax
   * @returns {number} the max |Δ| of these two arrays alone
   */
  add(a, b, label = '', vocab = a.length) {
    if (a.length !== b.length) throw new Error(`DriftStats: ${a.length} vs ${b.length} entries`);
    if (this.#diff.length < a.length) this.#diff = new Float32Array(a.length);
    const diff = this.#diff;
    let max = 0;
    let at = -1;
    for (let i = 0; i < a.length; i++) {
      const d = Math.abs(a[i] - b[i]);
      if (Number.isNaN(d)) throw new Error('DriftStats: NaN logits');
      diff[i] = d;
      if (d > max) { max = d; at = i; }
    }
    const bits = new Uint32Array(diff.buffer, 0, a.length);
    const histogram = this.histogram;
    for (let i = 0; i < bits.length; i++) histogram[bits[i] >>> kShift]++;
    if (max > this.max) {
      this.max = max;
      this.argmax = { label, row: Math.floor(at / vocab), column: at % vocab };
    }
    this.count += a.length;
    return max;
  }

  /** Upper edge of the histogram bin holding the q-quantile (0 < q < 1) of |Δ|. */
  quantile(q) {
    const target = q * this.count;
    let seen = 0;
    for (let bin = 0; bin < kBins; bin++) {
      seen += this.histogram[bin];
      if (seen >= target && this.histogram[bin] > 0) return Math.min(this.max, binUpperEdge(bin));
    }
    return this.max;
  }

  /** Share of entries that are exactly equal. */
  get exactShare() {
    return this.count ? this.histogram[0] / this.count : 1;
  }

  toJSON() {
    return {
      count: this.count, max: this.max, argmax: this.argmax,
      p50: this.quantile(0.5), p99: this.quantile(0.99), p999: this.quantile(0.999), exactShare: this.exactShare,
    };
  }
}

function binUpperEdge(bin) {
  const bits = new Uint32Array([((bin + 1) << kShift) >>> 0]);
  return new Float32Array(bits.buffer)[0];
}
