export * from './sink.js';
export { loadExtraCertificates, createCoderHttp, type CoderFetch, type CoderHttp } from './http.js';
export { sanitizeOutput, splitOutput, toCoderLogs, MAX_LINE_CHARS, type CoderLog, type CoderLogLevel } from './lines.js';
