/** BuildKit refuses a secret over 500 KiB ("secret x too big. max size 500KiB"); measured here. */
export const MAX_SECRET_BYTES = 500 * 1024;
