// The shape parse-prometheus-text-format returns (it ships no types).
declare module 'parse-prometheus-text-format' {
  interface PromSample {
    readonly value?: string;
    readonly labels?: Readonly<Record<string, string>>;
    readonly buckets?: Readonly<Record<string, string>>;
  }
  interface PromFamily {
    readonly name: string;
    readonly help: string;
    readonly type: string;
    readonly metrics: readonly PromSample[];
  }
  function parsePrometheusTextFormat(text: string): PromFamily[];
  export default parsePrometheusTextFormat;
}
