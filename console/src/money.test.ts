import { describe, expect, it } from "vitest";
import { fenToYuan, formatYuan, MoneyError, yuanToFen } from "./money";

describe("yuanToFen", () => {
  it.each([
    ["12", 1200],
    ["12.5", 1250],
    ["12.50", 1250],
    ["0.01", 1],
    ["0.1", 10],
    ["0.3", 30],
    ["19.99", 1999],
    ["1.005".slice(0, 4), 100], // "1.00"
    ["¥8.80", 880],
    [" 3.2 ", 320],
    ["999999999.99", 99999999999],
  ])("%s yuan is %i fen", (text, fen) => {
    expect(yuanToFen(text)).toBe(fen);
  });

  it("is exact where floating point is not: 0.1 + 0.2", () => {
    expect(0.1 + 0.2).not.toBe(0.3);
    expect(yuanToFen(0.1 + 0.2)).toBe(30);
    expect(yuanToFen(0.1) + yuanToFen(0.2)).toBe(yuanToFen("0.3"));
    expect(yuanToFen(1.15)).toBe(115); // 1.15 * 100 is 114.99999999999999
    expect(yuanToFen(4.35)).toBe(435); // 4.35 * 100 is 434.99999999999994
  });

  it("refuses negative amounts", () => {
    expect(() => yuanToFen("-1")).toThrow(MoneyError);
    expect(() => yuanToFen("-0.01")).toThrow("negative");
    expect(() => yuanToFen(-5)).toThrow("negative");
  });

  it.each(["", "abc", "1.234", "1e3", "1,000", ".5", "NaN", "Infinity", "1.2.3", "0x10"])("refuses %j", (text) => {
    expect(() => yuanToFen(text)).toThrow(MoneyError);
  });

  it("refuses a number with more than two real decimals rather than rounding it away", () => {
    expect(() => yuanToFen(1.234)).toThrow(MoneyError);
    expect(() => yuanToFen(Number.NaN)).toThrow(MoneyError);
  });
});

describe("fen to yuan", () => {
  it.each([
    [0, "0.00", "¥0.00"],
    [1, "0.01", "¥0.01"],
    [10, "0.10", "¥0.10"],
    [1999, "19.99", "¥19.99"],
    [100000, "1000.00", "¥1000.00"],
    [-250, "-2.50", "-¥2.50"],
  ])("%i fen", (fen, plain, shown) => {
    expect(fenToYuan(fen)).toBe(plain);
    expect(formatYuan(fen)).toBe(shown);
  });

  it("round-trips what it shows", () => {
    for (const fen of [0, 1, 9, 10, 99, 100, 101, 1999, 123456789]) {
      expect(yuanToFen(fenToYuan(fen))).toBe(fen);
    }
  });

  it("shows a dash for no amount and refuses fractions of a fen", () => {
    expect(formatYuan(null)).toBe("–");
    expect(formatYuan(undefined)).toBe("–");
    expect(() => fenToYuan(0.5)).toThrow(MoneyError);
  });
});
