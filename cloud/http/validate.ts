/**
 * Request parsing, OpenAPI schemas and cursors: shared by both APIs (shared/api/, docs/api.md).
 */
export { CURSOR, decodeCursor, encodeCursor } from '../../shared/api/cursor.js';
export { doc, Limit, noBody, parse, QueryMs } from '../../shared/api/parse.js';
