import { XMLBuilder, XMLParser, XMLValidator } from 'fast-xml-parser';
import { S3Error } from './s3-error.ts';

/** The namespace of every S3 answer. */
export const S3_XMLNS = 'http://s3.amazonaws.com/doc/2006-03-01/';

/** A value of an XML tree: text, a number, an element, or a list of repeated elements. */
export type XmlValue = string | number | boolean | XmlElement | XmlElement[] | string[] | undefined;
export interface XmlElement {
  [name: string]: XmlValue;
}

/**
 * fast-xml-parser rather than string templates: it escapes every text value (`&`, `<`, quotes),
 * which keys such as `&+-é"/x` need, and its parser handles entities and CDATA the way S3
 * clients write them. Undefined values are left out.
 */
const builder = new XMLBuilder({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  suppressEmptyNode: false,
});

/** `<?xml ...?><root xmlns="...">...</root>`, as S3 answers. */
export function xmlDocument(root: string, body: XmlElement, namespaced = true): string {
  return xmlDeclaration() + xmlElement(root, body, namespaced);
}

export function xmlDeclaration(): string {
  return '<?xml version="1.0" encoding="UTF-8"?>\n';
}

/** The root element alone, for an answer whose declaration was already sent (see slow-answer.ts). */
export function xmlElement(root: string, body: XmlElement, namespaced = true): string {
  const element = namespaced ? { '@_xmlns': S3_XMLNS, ...body } : body;
  return builder.build({ [root]: element }) as string;
}

/** Elements that may repeat in the request bodies S3 clients send; always parsed as lists. */
const REPEATED = new Set(['Part', 'Object']);

const parser = new XMLParser({
  isArray: (name) => REPEATED.has(name),
  // Keys such as "0123" or " a " stay exactly as sent.
  parseTagValue: false,
  trimValues: false,
  ignoreDeclaration: true,
  ignoreAttributes: true,
  processEntities: true,
  htmlEntities: true,
  removeNSPrefix: true,
});

/** Parses a request body; anything that is not well-formed XML is `MalformedXML`. */
export function parseXml(text: string): Record<string, unknown> {
  if (text.trim() === '' || XMLValidator.validate(text) !== true) {
    throw new S3Error(
      'MalformedXML',
      'The XML you provided was not well-formed or did not validate against our published schema.',
    );
  }
  return parser.parse(text) as Record<string, unknown>;
}

/** The child element `name` of a parsed element, if it is one. */
export function child(parent: unknown, name: string): unknown {
  return typeof parent === 'object' && parent !== null
    ? (parent as Record<string, unknown>)[name]
    : undefined;
}

/** The text of a parsed element (an element with only text parses as a string). */
export function text(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  const inner = child(value, '#text');
  return typeof inner === 'string' ? inner : undefined;
}
