import { describe, expect, it } from "vitest";
import { parseSse } from "./alerts";

describe("parseSse", () => {
  it("splits complete events, skips comments and keeps the unfinished tail", () => {
    const { events, rest } = parseSse(
      ': stream open\n\nid: 7\nevent: order_paid\ndata: {"id":"a1"}\n\n: keepalive\n\nid: 8\r\nevent: refund_requested\r\ndata: {"id"',
    );
    expect(events).toEqual([{ id: "7", event: "order_paid", data: '{"id":"a1"}' }]);
    expect(rest).toBe('id: 8\nevent: refund_requested\ndata: {"id"');
    expect(parseSse(rest + ':"a2"}\n\n').events).toEqual([{ id: "8", event: "refund_requested", data: '{"id":"a2"}' }]);
  });
});
