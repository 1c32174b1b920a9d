import { describe, expect, it } from "vitest";
import { type DecisionFacts, decide, isOpen } from "../../src/services/ai/decide";
import { AI_DEFAULTS, effectiveSettings } from "../../src/services/ai/settings";

const facts = (over: Partial<DecisionFacts> = {}, settings: Partial<typeof AI_DEFAULTS> = {}): DecisionFacts => ({
  configured: true,
  settings: { ...AI_DEFAULTS, enabled: true, ...settings },
  agentService: true,
  contactTags: [],
  sessionAgentKind: null,
  contactAgentKind: null,
  humanReplyAt: null,
  recentExecutions: 0,
  ...over,
});
// A Wednesday, 14:30 in São Paulo (UTC-3): 17:30 UTC.
const wednesdayAfternoonSp = new Date("2026-11-25T17:30:00Z");
const hours = { timeZone: "America/Sao_Paulo", days: { "3": [["09:00", "18:00"]] as [string, string][] } };

describe("AI decision rules (explicit clocks)", () => {
  it("answers when every rule allows it", () => {
    expect(decide(facts(), wednesdayAfternoonSp)).toEqual({ handled: true, reason: "handled" });
  });

  it("ai_disabled when the project or channel turned AI off", () => {
    expect(decide(facts({}, { enabled: false }), wednesdayAfternoonSp)).toEqual({ handled: false, reason: "ai_disabled" });
  });

  it("no_agent_service when the Worker has no AGENT_SERVICE_URL", () => {
    expect(decide(facts({ agentService: false }), wednesdayAfternoonSp).reason).toBe("no_agent_service");
  });

  it("group_chat: the AI answers people, not WhatsApp groups", () => {
    expect(decide(facts({ groupChat: true }), wednesdayAfternoonSp).reason).toBe("group_chat");
  });

  it("opted_out when the contact carries the opt-out tag (any case)", () => {
    expect(decide(facts({ contactTags: ["VIP", "No-Bot"] }, { optOutTag: "no-bot" }), wednesdayAfternoonSp).reason).toBe("opted_out");
    expect(decide(facts({ contactTags: ["VIP"] }, { optOutTag: "no-bot" }), wednesdayAfternoonSp).reason).toBe("handled");
  });

  it("human_takeover when a human replied in the session or a human agent holds the session or the contact", () => {
    expect(decide(facts({ humanReplyAt: new Date("2026-11-25T17:00:00Z") }), wednesdayAfternoonSp).reason).toBe("human_takeover");
    expect(decide(facts({ sessionAgentKind: "human" }), wednesdayAfternoonSp).reason).toBe("human_takeover");
    expect(decide(facts({ contactAgentKind: "human" }), wednesdayAfternoonSp).reason).toBe("human_takeover");
    expect(decide(facts({ sessionAgentKind: "ai", contactAgentKind: "ai" }), wednesdayAfternoonSp).reason).toBe("handled");
  });

  it("outside_business_hours in the hours' own time zone", () => {
    const s = { businessHours: hours };
    expect(decide(facts({}, s), wednesdayAfternoonSp).reason).toBe("handled");
    // 21:30 UTC is 18:30 in São Paulo: closed, although still "business hours" in UTC terms of another zone.
    expect(decide(facts({}, s), new Date("2026-11-25T21:30:00Z")).reason).toBe("outside_business_hours");
    // 11:30 UTC is 08:30 in São Paulo: not yet open.
    expect(decide(facts({}, s), new Date("2026-11-25T11:30:00Z")).reason).toBe("outside_business_hours");
    // Thursday is not listed: closed all day.
    expect(decide(facts({}, s), new Date("2026-11-26T17:30:00Z")).reason).toBe("outside_business_hours");
  });

  it("business hours: start inclusive, end exclusive, 24:00 closes the day", () => {
    const h = {
      timeZone: "UTC",
      days: { "3": [["09:00", "18:00"]] as [string, string][], "4": [["00:00", "24:00"]] as [string, string][] },
    };
    expect(isOpen(h, new Date("2026-11-25T09:00:00Z"))).toBe(true);
    expect(isOpen(h, new Date("2026-11-25T17:59:00Z"))).toBe(true);
    expect(isOpen(h, new Date("2026-11-25T18:00:00Z"))).toBe(false);
    expect(isOpen(h, new Date("2026-11-26T23:59:00Z"))).toBe(true);
  });

  it("rate_limited once the contact had its executions in the window", () => {
    expect(decide(facts({ recentExecutions: 4 }, { rateLimitCount: 5 }), wednesdayAfternoonSp).reason).toBe("handled");
    expect(decide(facts({ recentExecutions: 5 }, { rateLimitCount: 5 }), wednesdayAfternoonSp).reason).toBe("rate_limited");
    expect(decide(facts({ recentExecutions: 500 }), wednesdayAfternoonSp).reason).toBe("handled");
  });

  it("rules apply in order: disabled before opted out before takeover before hours before rate", () => {
    const all = facts(
      { contactTags: ["stop"], humanReplyAt: new Date(), recentExecutions: 9 },
      { optOutTag: "stop", businessHours: hours, rateLimitCount: 1 },
    );
    expect(decide(all, new Date("2026-11-26T17:30:00Z")).reason).toBe("opted_out");
    expect(decide({ ...all, contactTags: [] }, new Date("2026-11-26T17:30:00Z")).reason).toBe("human_takeover");
    expect(decide({ ...all, contactTags: [], humanReplyAt: null }, new Date("2026-11-26T17:30:00Z")).reason).toBe("outside_business_hours");
    expect(decide({ ...all, contactTags: [], humanReplyAt: null }, wednesdayAfternoonSp).reason).toBe("rate_limited");
  });

  it("a channel override wins over the project, null inherits, and defaults fill the rest", () => {
    const e = effectiveSettings({ enabled: true, agentType: "Sales", quietWindowMs: null }, { agentType: "Support", streaming: null });
    expect(e).toMatchObject({
      enabled: true,
      agentType: "Support",
      quietWindowMs: 3000,
      streaming: false,
      onFailure: "nothing",
      timeoutSeconds: 30,
    });
  });
});
