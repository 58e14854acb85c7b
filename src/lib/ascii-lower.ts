// ASCII lower case only: what HTTP names and AuthorizationPolicy paths compare case-insensitively
// (String.toLowerCase would also fold non-ASCII letters).
export function asciiLower(s: string): string { return s.replace(/[A-Z]+/g, m => m.toLowerCase()) }
