// The part of buffer-layout (https://www.npmjs.com/package/buffer-layout) this project uses.
declare module 'buffer-layout' {
  export class Layout<T = unknown> {
    readonly span: number;
    readonly property?: string;
    decode(b: Buffer, offset?: number): T;
    encode(src: T, b: Buffer, offset?: number): number;
    getSpan(b?: Buffer, offset?: number): number;
    replicate(property: string): this;
    offsetOf?(property: string): number | undefined;
  }
  export class Structure<T = Record<string, unknown>> extends Layout<T> {
    readonly fields: Layout[];
    offsetOf(property: string): number | undefined;
  }
  export function struct<T = Record<string, unknown>>(fields: Layout[], property?: string): Structure<T>;
  export function u8(property?: string): Layout<number>;
  export function u16(property?: string): Layout<number>;
  export function u32(property?: string): Layout<number>;
  export function s32(property?: string): Layout<number>;
  export function u16be(property?: string): Layout<number>;
  export function u32be(property?: string): Layout<number>;
}
