export { NetlinkError, MalformedError, ValidationError } from './errors';
export { AttrWriter, NLA_ALIGNTO, NLA_HDRLEN, NLA_F_NESTED, NLA_F_NET_BYTEORDER, NLA_TYPE_MASK, nlaAlign } from './writer';
export { defineAttrSet, AttrSet } from './schema';
export type { AttrKind, AttrDef, AttrDefs, EnumDef, Bitfield32, UnknownAttr, Decoded, Encodable, CompiledAttr } from './schema';
export { decodeAttrs, MAX_NEST_DEPTH } from './decode';
export { encodeAttrs } from './encode';
export { attrPathAt, attrNameOf, setAtPath } from './path';
