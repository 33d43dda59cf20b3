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

export function isTextMime(mime: string): boolean {
  return mime.startsWith('text/') || /json|xml|yaml|sql|x-python|ndjson/.test(mime);
}
