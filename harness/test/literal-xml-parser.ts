/**
 * An XML parser for tests that must see text exactly as written: entities decoded, nothing
 * trimmed, no value turned into a number. Attributes come as `@name`.
 */
import { XMLParser } from 'fast-xml-parser';

export function literalXmlParser(isArray?: (name: string) => boolean): XMLParser {
  return new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '@',
    processEntities: true,
    htmlEntities: true,
    trimValues: false,
    parseTagValue: false,
    parseAttributeValue: false,
    ...(isArray ? { isArray } : {}),
  });
}
