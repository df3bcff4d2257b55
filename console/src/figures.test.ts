import { describe, expect, it } from "vitest";
import { formatHours, formatPercent } from "./figures";

describe("formatHours", () => {
  it.each([
    [0, "0.0 h"],
    [3600, "1.0 h"],
    [7200, "2.0 h"],
    [5400, "1.5 h"],
    [90, "0.0 h"], // a minute and a half rounds to no tenth of an hour
    [360, "0.1 h"],
    [86_400 * 3 + 3600, "73.0 h"], // days stay in hours, so tiles compare at a glance
  ])("%i seconds is %s", (seconds, shown) => {
    expect(formatHours(seconds)).toBe(shown);
  });

  it("shows a dash when nothing was measured", () => {
    expect(formatHours(null)).toBe("–");
    expect(formatHours(undefined)).toBe("–");
  });
});

describe("formatPercent", () => {
  it.each([
    [0, "0.0%"],
    [1, "100.0%"],
    [0.5, "50.0%"],
    [1 / 3, "33.3%"],
    [2 / 3, "66.7%"],
    [0.0218, "2.2%"],
  ])("%f is %s", (rate, shown) => {
    expect(formatPercent(rate)).toBe(shown);
  });

  it("shows a dash for no rate", () => {
    expect(formatPercent(null)).toBe("–");
    expect(formatPercent(undefined)).toBe("–");
  });
});
