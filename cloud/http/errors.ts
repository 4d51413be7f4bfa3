/** The one error body and handler of the API: `{error: {code, message, details}}` (shared/http/errors.ts). */
export { type ErrorBody, errorBody, installErrorHandlers } from '../../shared/http/errors.js';
