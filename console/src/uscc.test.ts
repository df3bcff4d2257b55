import { describe, expect, it } from "vitest";
import { isValidUscc } from "./uscc";

describe("isValidUscc", () => {
  it.each(["91350100M000100Y43", "91350100m000100y43", " 91350100M000100Y43 "])("accepts %j", (code) => {
    expect(isValidUscc(code)).toBe(true);
  });
  it.each(["91350100M000100Y44", "91350100M000100Y4", "91350100M000100I43", ""])("refuses %j", (code) => {
    expect(isValidUscc(code)).toBe(false);
  });
});
