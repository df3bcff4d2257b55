/* The unified social credit code (统一社会信用代码, GB 32100-2015) a merchant applies with: 18 characters of
 * this alphabet, the last a check character over the first 17. The gateway checks the same
 * (services/gateway/domain/onboarding.py); the form checks first so a typo is caught as it is typed. */
const ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY";
const WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

export function isValidUscc(input: string): boolean {
  const code = input.trim().toUpperCase();
  if (code.length !== 18 || [...code].some((ch) => !ALPHABET.includes(ch))) return false;
  const total = WEIGHTS.reduce((sum, weight, i) => sum + ALPHABET.indexOf(code[i]) * weight, 0);
  return ALPHABET[(31 - (total % 31)) % 31] === code[17];
}
