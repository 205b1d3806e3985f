// Go's fmt verbs that calicoctl ipam show prints its counts with, so Tortie's numbers read the same:
//   %.5g       65536, 64, 1.0486e+06 (five significant digits, no padding zeros, e+NN exponent)
//   %.f        a percentage rounded to the nearest integer, ties to even (12.5 → 12)
// and the cell they make: fmt.Sprintf("%.5g (%.f%%)", n, 100*n/capacity).

/** Go's `%.5g` of a non-negative integer (counts and capacities), exactly. */
export function goG5(n: number | bigint): string {
  const digits = BigInt(typeof n === 'number' ? Math.round(n) : n).toString();
  if (digits.length <= 5) return digits;
  let exp = digits.length - 1;
  let head = BigInt(digits.slice(0, 5));
  const rest = digits.slice(5);
  const half = `5${'0'.repeat(rest.length - 1)}`;
  // Round half to even on the decimal digits, as Go's strconv does for exact values.
  if (rest > half || (rest === half && head % 2n === 1n)) head += 1n;
  let h = head.toString();
  if (h.length > 5) { h = h.slice(0, 5); exp++; }
  const mantissa = `${h[0]}.${h.slice(1)}`.replace(/0+$/, '').replace(/\.$/, '');
  return `${mantissa}e+${String(exp).padStart(2, '0')}`;
}

/** Go's `%.f` of a float: nearest integer, ties to even. */
export function goRound0(x: number): string {
  const f = Math.floor(x);
  const diff = x - f;
  const r = diff > 0.5 ? f + 1 : diff < 0.5 ? f : f % 2 === 0 ? f : f + 1;
  return String(r === 0 ? 0 : r);
}

/** `N (P%)`: a count and its share of `capacity`, as calicoctl prints IPS IN USE and IPS FREE. */
export function countWithPercent(n: number, capacity: number): string {
  return `${goG5(n)} (${capacity > 0 ? goRound0((100 * n) / capacity) : 'NaN'}%)`;
}
