// Placeholder until the selector parser lands (issue 4): accepts every selector.
export function checkSelector(_s: string): string | null { return null; }
