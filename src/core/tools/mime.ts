import { extname } from 'node:path';

const TYPES: Record<string, string> = {
  '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.gif': 'image/gif', '.svg': 'image/svg+xml',
  '.webp': 'image/webp', '.bmp': 'image/bmp', '.tif': 'image/tiff', '.tiff': 'image/tiff', '.eps': 'application/postscript',
  '.csv': 'text/csv', '.tsv': 'text/tab-separated-values', '.txt': 'text/plain', '.log': 'text/plain', '.md': 'text/markdown',
  '.json': 'application/json', '.jsonl': 'application/x-ndjson', '.xml': 'application/xml', '.yaml': 'application/yaml', '.yml': 'application/yaml',
  '.html': 'text/html', '.htm': 'text/html', '.pdf': 'application/pdf', '.py': 'text/x-python', '.sql': 'application/sql', '.r': 'text/x-r',
  '.ipynb': 'application/x-ipynb+json', '.xlsx': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  '.xls': 'application/vnd.ms-excel', '.docx': 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  '.pptx': 'application/vnd.openxmlformats-officedocument.presentationml.presentation', '.h5': 'application/x-hdf5',
  '.hdf5': 'application/x-hdf5', '.nc': 'application/x-netcdf', '.pkl': 'application/octet-stream', '.parquet': 'application/vnd.apache.parquet',
  '.zip': 'application/zip', '.tar': 'application/x-tar', '.gz': 'application/gzip', '.sqlite': 'application/vnd.sqlite3', '.db': 'application/vnd.sqlite3',
};

/** A MIME type guessed from a file name (application/octet-stream when unknown). */
export function mimeFromName(name: string): string {
  return TYPES[extname(name).toLowerCase()] ?? 'application/octet-stream';
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const SIGNATURES: Record<string, number[]> = { 'image/png': [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'image/jpeg': [0xff, 0xd8, 0xff], 'image/gif': [0x47, 0x49, 0x46, 0x38] };

/**
 * Whether an image output's data is what an image part promises: base64 (the sandbox's display()
 * can put any string under image/png) of bytes that start as the mime type says (PNG, JPEG, GIF).
 */
export function isImageData(mimeType: string, data: string): boolean {
  const signature = SIGNATURES[mimeType];
  if (!signature || data.length === 0 || data.length % 4 !== 0 || !BASE64.test(data)) return false;
  const head = Buffer.from(data.slice(0, 16), 'base64');
  return signature.every((b, i) => head[i] === b);
}
