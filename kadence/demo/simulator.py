"""Every opportunity's life simulated stage by stage (`OpportunitySimulator`), so that its status,
stage, level, probability, forecast category and history rows agree with each other and with the
probability ladder; and the activities that go with it (`ActivityGenerator`).
"""

from __future__ import annotations

import math
import random
from bisect import bisect_right
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, NamedTuple

from django.utils import timezone

from kadence.demo.catalogues import (
    COMPETITORS_BY_LINE,
    DEAL_TEAM_ROLES,
    DOCS,
    HISTORY_DAYS,
    INSIDE_SERVICE_SHARE,
    KIND_WEIGHTS,
    LINES_BY_INDUSTRY,
    MOVE_BACK_REASONS,
    NEXT_STEPS,
    NO_WINNER_REASONS,
    OPP_DESCRIPTIONS,
    OPP_NEXT_STEPS,
    OUTCOMES,
    PRODUCT_LINES,
    SERVICE_LINES,
    TOPICS,
)
from kadence.demo.world import (
    BOOKED,
    CURRENCY,
    LOST,
    OMITTED,
    OPEN,
    WON,
    AccountRef,
    Catalog,
    Org,
    Seller,
    TemplateSpec,
    cumulative,
    stream,
)

# --- opportunities ------------------------------------------------------------------------------------


class OppLife(NamedTuple):
    """One simulated opportunity.

    `opportunity` holds the values of OPPORTUNITY_FIELDS without the id; every row of `history` the values
    of STAGE_CHANGE_FIELDS without id and opportunity id; `team` is (user id, deal role id, added at).
    `spans` are the stretches the deal spent in a stage, as (open stage index, start, end) in days
    relative to today (end 0 = still there today), for the activity generator.
    """

    opportunity: tuple
    history: tuple[tuple, ...]
    product_line_ids: tuple[int, ...]
    competitor_ids: tuple[int, ...]
    team: tuple[tuple[int, int, datetime], ...]
    spans: tuple[tuple[int, float, float], ...]
    n_open: int


class OpportunitySimulator:
    """Simulates opportunities through their process template, one deal at a time.

    A deal is created on a day of the two years before `today`, then spends in each stage about the
    stage's standard days × a per-deal pace × lognormal noise (one stage in seven deals stalls 2.5–6×
    longer). In every stage it may be lost (`StageSpec.drop` × the owner's skill); after the last open
    stage it is won. A few deals move back one stage once. A deal whose next step would fall on or after
    `today` stays open where it is. All times are before today's midnight and strictly increasing.
    """

    def __init__(self, catalog: Catalog, org: Org, accounts: list[AccountRef], today: date, seed: int):
        if not org.reps:
            raise RuntimeError("There are no sales reps in teams to own opportunities.")
        if not accounts:
            raise RuntimeError("There are no accounts to attach opportunities to.")
        self.catalog, self.org, self.accounts, self.today = catalog, org, accounts, today
        self.midnight = timezone.make_aware(datetime.combine(today, time.min))
        setup = stream(seed, "simulator-setup")
        self.templates = list(catalog.templates)
        self.remaining = {t.id: t.remaining_days for t in self.templates}
        self.template_cum = cumulative(t.weight for t in self.templates)
        size_weight = {"small": 1.0, "medium": 1.5, "large": 2.5, "huge": 4.0}
        self.account_cum = cumulative(
            size_weight.get(a.size, 1.0) * setup.lognormvariate(0, 0.6) for a in accounts
        )
        self.skill = {s.id: setup.uniform(0.75, 1.25) for s in org.reps}
        for group in org.inside_by_region.values():  # service contracts (theirs) are lost less often
            self.skill.update((s.id, setup.uniform(0.5, 0.8)) for s in group)
        self.sellers = {s.id: s for s in org.reps}
        lines = {code: pid for pid, code in catalog.product_lines}
        self.line_factor = {lines[c]: f for c, _zh, _en, f, _p in PRODUCT_LINES if c in lines}
        self.projects = {lines[c]: p for c, _zh, _en, _f, p in PRODUCT_LINES if c in lines}
        self.service_lines = {lines[c] for c in SERVICE_LINES if c in lines}
        self.lines_by_industry: dict[str, tuple[list[int], list[float]]] = {}
        for industry, weights in LINES_BY_INDUSTRY.items():
            pairs: list[tuple[int, float]] = [(lines[c], w) for c, w in weights.items() if c in lines]
            if not pairs:
                pairs = [(pid, 1.0) for pid, _code in catalog.product_lines]
            self.lines_by_industry[industry] = ([p for p, _ in pairs], cumulative(w for _, w in pairs))
        all_lines = [pid for pid, _code in catalog.product_lines]
        self.any_lines = (all_lines, cumulative(1.0 for _ in all_lines))
        competitors = {name: cid for cid, name in catalog.competitors}
        self.all_competitors = [cid for cid, _name in catalog.competitors]
        self.competitors_by_line = {}
        for code, names in COMPETITORS_BY_LINE.items():
            if code in lines:
                self.competitors_by_line[lines[code]] = [competitors[n] for n in names if n in competitors]
        self.reasons = list(catalog.loss_reasons)
        self.reason_cum = cumulative(r[3] for r in self.reasons)
        self.roles = [catalog.deal_roles[c] for c in DEAL_TEAM_ROLES if c in catalog.deal_roles]
        self.role_code = {v: k for k, v in catalog.deal_roles.items()}

    # Time is counted in days relative to today's midnight (negative = past). A day's fraction maps to
    # the working hours 9:00–18:00, so later times always give later datetimes.
    def at(self, t: float) -> datetime:
        day = math.floor(t)
        return self.midnight + timedelta(days=day, minutes=540 + int((t - day) * 540))

    def day(self, t: float) -> date:
        return self.today + timedelta(days=math.floor(t))

    def _pick(self, rng: random.Random, items: list, cum: list[float]):
        return items[bisect_right(cum, rng.random() * cum[-1])]

    def _product_lines(self, rng: random.Random, industry: str) -> tuple[int, ...]:
        items, cum = self.lines_by_industry.get(industry, self.any_lines)
        if not items:
            return ()
        first = self._pick(rng, items, cum)
        if len(items) > 1 and rng.random() < 0.3:
            second = self._pick(rng, items, cum)
            if second != first:
                return (first, second)
        return (first,)

    def _competitors(self, rng: random.Random, lines: tuple[int, ...]) -> list[int]:
        pool = list(dict.fromkeys(c for line in lines for c in self.competitors_by_line.get(line, ())))
        pool = pool or self.all_competitors
        count = min(len(pool), rng.choices((0, 1, 2, 3), weights=(20, 35, 30, 15))[0])
        return rng.sample(pool, count)

    def _deal_team(self, rng: random.Random, owner: Seller, start: float, end: float) -> tuple:
        """0–3 colleagues on the deal team: teammates or reps elsewhere as pre-sales / consultants, the
        team's manager as executive sponsor, the region's inside sales."""
        if not self.roles or rng.random() >= 0.4:
            return ()
        members: dict[int, int] = {}
        for _ in range(rng.choices((1, 2, 3), weights=(55, 35, 10))[0]):
            role = rng.choice(self.roles)
            code = self.role_code[role]
            candidates: list[Seller]
            if code == "executive":
                candidates = self.org.managers_by_team.get(owner.team_id, [])
            elif code == "inside_sales":
                candidates = self.org.inside_by_region.get(owner.region_id, [])
            else:
                where = rng.random()
                if where < 0.5:
                    candidates = self.org.reps_by_team.get(owner.team_id, [])
                elif where < 0.8:
                    candidates = self.org.reps_by_region.get(owner.region_id, [])
                else:
                    candidates = self.org.reps
            candidates = [c for c in candidates if c.id != owner.id and c.id not in members]
            if candidates:
                members[rng.choice(candidates).id] = role
        span = max(0.0, min(end, start + 30) - start)
        return tuple((user, role, self.at(start + rng.random() * span)) for user, role in members.items())

    def life(self, rng: random.Random) -> OppLife:
        """Simulate one opportunity (see the class docstring)."""
        r = rng.random
        tpl: TemplateSpec = self._pick(rng, self.templates, self.template_cum)
        account: AccountRef = self._pick(rng, self.accounts, self.account_cum)
        owner = self.sellers.get(account.owner_id) or rng.choice(self.org.reps)
        if r() < 0.1:  # a teammate works this deal at a colleague's account
            owner = rng.choice(self.org.reps_by_team[owner.team_id])
        stages, n_open = tpl.open_stages, len(tpl.open_stages)
        remaining = self.remaining[tpl.id]

        created = -1.0 - (HISTORY_DAYS - 2) * r() ** 1.4  # more deals recently: the company grows
        pace = rng.lognormvariate(0.0, 0.25)
        stall = rng.randrange(n_open) if r() < 0.15 else -1
        lines = self._product_lines(rng, account.industry)
        inside = self.org.inside_by_region.get(account.region_id)
        if inside and lines and set(lines) <= self.service_lines and r() < INSIDE_SERVICE_SHARE:
            owner = rng.choice(inside)  # inside sales run service contracts of their region themselves
        skill = self.skill[owner.id]
        factor = sum(self.line_factor.get(line, 1.0) for line in lines) / max(1, len(lines))
        size_factor = {"small": 0.5, "medium": 0.9, "large": 1.3, "huge": 1.8}.get(account.size, 1.0)
        amount = rng.lognormvariate(math.log(800_000), 0.9) * factor * size_factor
        amount = min(20_000_000.0, max(50_000.0, round(amount, -3)))
        ecd = created + tpl.total_days * rng.uniform(0.5, 1.2)  # first estimates are optimistic
        competitors = self._competitors(rng, lines)

        # events: (kind, from index, to index, time, amount, expected close (days), reason)
        events: list[tuple] = [("created", -1, 0, created, amount, ecd, "")]
        spans: list[tuple[int, float, float]] = []
        i, t, moved_back, returning = 0, created, False, False
        status, loss_reason, winner = OPEN, None, None
        while True:
            stage = stages[i]
            dur = max(1.0, stage.days * pace * rng.lognormvariate(0.0, 0.45) * (0.4 if returning else 1.0))
            if i == stall and not returning:
                dur *= rng.uniform(2.5, 6.0)
            returning = False
            if r() < stage.drop * skill:
                end = t + max(0.3, dur * rng.uniform(0.2, 1.0))
                if end < 0:
                    status = LOST
                    loss_reason = self._pick(rng, self.reasons, self.reason_cum) if self.reasons else None
                    if i == stall and self.reasons and r() < 0.6:  # stalled deals die of indecision
                        loss_reason = next((x for x in self.reasons if x[1] == "no_decision"), loss_reason)
                    if loss_reason is not None and loss_reason[1] not in NO_WINNER_REASONS and r() < 0.85:
                        if not competitors and self.all_competitors:
                            competitors = [rng.choice(self.all_competitors)]
                        winner = rng.choice(competitors) if competitors else None
                    spans.append((i, t, end))
                    ecd = end + rng.choice((0, 0, 0, -7, -3, 3, 7, 14))
                    events.append(("lost", i, i, end, amount, ecd, loss_reason[2] if loss_reason else ""))
                else:
                    spans.append((i, t, 0.0))
                break
            end = t + dur
            if end >= 0:
                spans.append((i, t, 0.0))
                break
            spans.append((i, t, end))
            if i + 1 == n_open:
                status = WON
                ecd = end + rng.choice((0, 0, 0, -7, -3, 3, 7, 14))
                events.append(("won", i, n_open, end, amount, ecd, ""))
                break
            if i >= 2 and not moved_back and r() < 0.06:
                moved_back = returning = True
                events.append(("moved_back", i, i - 1, end, amount, ecd, rng.choice(MOVE_BACK_REASONS)))
                i, t = i - 1, end
                continue
            if i >= 1 and r() < 0.2:  # the budget becomes clearer once a proposal is on the table
                amount = min(20_000_000.0, max(50_000.0, round(amount * rng.uniform(0.8, 1.25), -3)))
            if ecd < end + remaining[i + 1] * 0.5 and r() < 0.5:  # the rep re-plans a slipping deal
                ecd = end + remaining[i + 1] * pace * rng.uniform(0.8, 1.2)
            events.append(("advanced", i, i + 1, end, amount, ecd, ""))
            i, t = i + 1, end

        updated_t = events[-1][3]
        version = len(events)
        if status == OPEN and ecd < 0 and r() < 0.4:  # most reps fix an overdue close date, some don't
            updated_t += (-updated_t) * rng.uniform(0.1, 0.9)
            ecd = rng.uniform(7, 30) + remaining[i] * pace * rng.uniform(0.3, 0.9)
            version += 1
            events.append(("updated", i, i, updated_t, events[-1][4], ecd, ""))  # in the history too
        history, entered = self._history(tpl, events, owner.id)
        last = events[-1]
        if status == WON:
            final = tpl.won_stage or stages[-1]
            stage_id, (level_id, probability), category = final.id, self.catalog.won_level, BOOKED
        elif status == LOST:
            stage_id, (level_id, probability), category = stages[i].id, self.catalog.lost_level, OMITTED
        else:
            stage = stages[i]
            stage_id, level_id, probability, category = (
                stage.id,
                stage.level_id,
                stage.probability,
                stage.category,
            )
        project = rng.choice(self.projects.get(lines[0], ["系统集成项目"])) if lines else "系统集成项目"
        name = f"{account.name}{project}{'（二期）' if r() < 0.12 else ''}"
        opportunity = (
            name[:200],
            account.id,
            owner.id,
            owner.team_id,
            tpl.id,
            stage_id,
            level_id,
            probability,
            Decimal(int(last[4])),
            CURRENCY,
            self.day(ecd),
            category,
            status,
            loss_reason[0] if loss_reason else None,
            winner,
            self.day(last[3]) if status != OPEN else None,
            rng.choice(OPP_DESCRIPTIONS),
            rng.choice(OPP_NEXT_STEPS) if status == OPEN else "",
            entered,
            self.at(created),
            self.at(updated_t),
            version,
        )
        team = self._deal_team(rng, owner, created, events[-1][3])
        return OppLife(opportunity, history, lines, tuple(competitors), team, tuple(spans), n_open)

    def _history(self, tpl: TemplateSpec, events: list[tuple], owner_id: int) -> tuple[tuple, datetime]:
        """StageChange rows for the events, and when the deal entered the stage it ends in."""
        stages = tpl.open_stages
        won_stage = tpl.won_stage or stages[-1]
        rows: list[tuple[Any, ...]] = []
        entered: datetime | None = None
        for kind, fi, ti, t, amount, ecd, reason in events:
            at = self.at(t)
            amount_d, ecd_d = Decimal(int(amount)), self.day(ecd)
            if kind == "created":
                to = stages[0]
                rows.append(
                    (
                        kind,
                        None,
                        to.id,
                        "",
                        to.name_zh,
                        None,
                        to.level_id,
                        to.probability,
                        amount_d,
                        CURRENCY,
                        ecd_d,
                        OPEN,
                        None,
                        owner_id,
                        at,
                        "",
                        False,
                        "",
                        to.name_en,
                    )
                )
                entered = at
                continue
            src = stages[fi]
            days = (at - entered).days
            if kind == "won":
                level_id, probability = self.catalog.won_level
                rows.append(
                    (
                        kind,
                        src.id,
                        won_stage.id,
                        src.name_zh,
                        won_stage.name_zh,
                        src.level_id,
                        level_id,
                        probability,
                        amount_d,
                        CURRENCY,
                        ecd_d,
                        WON,
                        days,
                        owner_id,
                        at,
                        reason,
                        False,
                        src.name_en,
                        won_stage.name_en,
                    )
                )
                if won_stage.id != src.id:
                    entered = at
            elif kind == "updated":  # a change inside the stage (a new close date): not an entry
                rows.append(
                    (
                        kind,
                        src.id,
                        src.id,
                        src.name_zh,
                        src.name_zh,
                        src.level_id,
                        src.level_id,
                        src.probability,
                        amount_d,
                        CURRENCY,
                        ecd_d,
                        OPEN,
                        None,
                        owner_id,
                        at,
                        reason,
                        False,
                        src.name_en,
                        src.name_en,
                    )
                )
                continue
            elif kind == "lost":
                level_id, probability = self.catalog.lost_level
                rows.append(
                    (
                        kind,
                        src.id,
                        src.id,
                        src.name_zh,
                        src.name_zh,
                        src.level_id,
                        level_id,
                        probability,
                        amount_d,
                        CURRENCY,
                        ecd_d,
                        LOST,
                        days,
                        owner_id,
                        at,
                        reason,
                        False,
                        src.name_en,
                        src.name_en,
                    )
                )
            else:
                to = stages[ti]
                rows.append(
                    (
                        kind,
                        src.id,
                        to.id,
                        src.name_zh,
                        to.name_zh,
                        src.level_id,
                        to.level_id,
                        to.probability,
                        amount_d,
                        CURRENCY,
                        ecd_d,
                        OPEN,
                        days,
                        owner_id,
                        at,
                        reason,
                        False,
                        src.name_en,
                        to.name_en,
                    )
                )
                entered = at
        return tuple(rows), entered


def generate_opportunities(simulator: OpportunitySimulator, count: int, seed: int) -> Iterator[OppLife]:
    """`count` simulated opportunities; the same simulator inputs and seed give the same sequence."""
    rng = stream(seed, "opportunities")
    for _ in range(count):
        yield simulator.life(rng)


# --- activities ---------------------------------------------------------------------------------------


# What an effective visit or call achieved, by the deal's phase (early: found; later: advanced or solved),
# so that the stored flags agree with the effective-visit rule (kadence.domain.quotas.is_effective).
RESULTS: tuple[tuple[str, ...], ...] = (
    ("found", "found", "advanced"),
    ("advanced", "advanced", "solved"),
    ("advanced", "solved", "solved"),
)


class ActivityDraft(NamedTuple):
    """An activity before it has an id: values of ACTIVITY_FIELDS[1:] and its contact ids."""

    row: tuple
    contact_ids: tuple[int, ...]


class ActivityGenerator:
    """Visits, calls, meetings, demos and e-mails along each deal's life (a few per stage, the kind
    following the phase of the deal), planned ones in the next two weeks for open deals, and
    account-level ones (inside-sales calls, relationship visits)."""

    def __init__(self, simulator: OpportunitySimulator, seed: int):
        self.sim = simulator
        self.rng = stream(seed, "activities")
        # the results (found / advanced / solved) from a stream of their own: the activities stay as before
        self.results = stream(seed, "activity-results")
        self.team_of = {s.id: s.team_id for s in simulator.org.reps}
        for group in (*simulator.org.managers_by_team.values(), *simulator.org.inside_by_region.values()):
            for seller in group:
                self.team_of[seller.id] = seller.team_id

    def _done_date(self, t: float, start: float, end: float) -> date:
        """The day of a done activity at time `t` of the span [start, end]. Most customer work happens on
        weekdays, so a weekend day moves to the Friday before or the Monday after, staying in the span."""
        day = self.sim.day(t)
        if day.weekday() >= 5 and self.rng.random() < 0.85:
            friday, monday = day - timedelta(days=day.weekday() - 4), day + timedelta(days=7 - day.weekday())
            if friday >= self.sim.day(start):
                day = friday
            elif monday <= self.sim.day(end) and monday < self.sim.today:
                day = monday
        return min(day, self.sim.today - timedelta(days=1))

    def _activity(
        self,
        kind: str,
        phase: int,
        when: date,
        done: bool,
        account: AccountRef,
        opp_id: int | None,
        owner_id: int,
        created: datetime,
    ) -> ActivityDraft:
        rng = self.rng
        contacts = list(account.contacts)
        chosen = rng.sample(contacts, min(len(contacts), 1 if kind == "email" or rng.random() < 0.6 else 2))
        who = chosen[0] if chosen else (0, "客户", "")
        topic = rng.choice(TOPICS[phase])
        if kind == "visit":
            subject = f"拜访{who[2]}{who[1]}，沟通{topic}"
        elif kind == "call_out":
            subject = f"电话联系{who[1]}，确认{topic}"
        elif kind == "call_in":
            subject = f"{who[1]}来电咨询{topic}"
        elif kind == "meeting":
            subject = f"与{who[1]}等召开{topic}沟通会"
        elif kind == "demo":
            subject = f"方案演示：{topic}"
        else:
            subject = f"发送{rng.choice(DOCS)}给{who[1]}"
        if not done:
            subject = "计划：" + subject
        effective = done and (
            (kind == "visit" and rng.random() < 0.65) or (kind in ("meeting", "demo") and rng.random() < 0.4)
        )
        result = ""
        if effective:
            result = self.results.choice(RESULTS[phase])
        elif done and kind == "call_out" and self.results.random() < 0.45:
            result = self.results.choice(RESULTS[phase])  # an effective call
        next_step = rng.choice(NEXT_STEPS[phase]) if done and rng.random() < 0.7 else ""
        next_date = when + timedelta(days=rng.randint(3, 15)) if next_step and rng.random() < 0.6 else None
        row = (
            kind,
            subject[:200],
            when,
            done,
            account.id,
            opp_id,
            owner_id,
            self.team_of[owner_id],
            effective,
            result,
            rng.choice(OUTCOMES[phase]) if done else "",
            next_step,
            next_date,
            1,
            created,
            created,
        )
        return ActivityDraft(row, tuple(c[0] for c in chosen))

    def _kind(self, phase: int) -> str:
        kinds = KIND_WEIGHTS[phase]
        return self.rng.choices([k for k, _ in kinds], weights=[w for _, w in kinds])[0]

    def for_opportunity(self, life: OppLife, opp_id: int, account: AccountRef) -> list[ActivityDraft]:
        rng, sim = self.rng, self.sim
        owner_id = life.opportunity[2]
        helpers = [m[0] for m in life.team if m[0] in self.team_of]
        drafts = []
        for index, start, end in life.spans:
            phase = min(2, 3 * index // max(1, life.n_open))
            length = end - start
            count = 0 if rng.random() < 0.1 else 1 + min(3, int(length // 12))
            for _ in range(count):
                t = start + rng.random() * length
                kind = self._kind(phase)
                owner = rng.choice(helpers) if helpers and kind == "demo" and rng.random() < 0.5 else owner_id
                when = self._done_date(t, start, end)
                created = timezone.make_aware(datetime.combine(when, time(18, 0)))
                drafts.append(self._activity(kind, phase, when, True, account, opp_id, owner, created))
        if life.opportunity[12] == OPEN and rng.random() < 0.75:
            index = life.spans[-1][0]
            phase = min(2, 3 * index // max(1, life.n_open))
            when = sim.today + timedelta(days=rng.randint(1, 14))
            created = sim.at(-1 + rng.random() * 0.9)
            drafts.append(
                self._activity(self._kind(phase), phase, when, False, account, opp_id, owner_id, created)
            )
        return drafts

    def one_for_opportunity(self, life: OppLife, opp_id: int, account: AccountRef) -> ActivityDraft:
        """A single done activity at a random moment of the deal's life (the cheap variant for `seed`)."""
        index, start, end = self.rng.choice(life.spans)
        phase = min(2, 3 * index // max(1, life.n_open))
        when = self._done_date(start + self.rng.random() * (end - start), start, end)
        created = timezone.make_aware(datetime.combine(when, time(18, 0)))
        return self._activity(
            self._kind(phase), phase, when, True, account, opp_id, life.opportunity[2], created
        )

    def for_account(self, account: AccountRef, owner_id: int, inside_id: int | None) -> list[ActivityDraft]:
        rng, drafts = self.rng, []
        for _ in range(rng.randint(0, 6)):
            who = inside_id if inside_id and rng.random() < 0.6 else owner_id
            kind = (
                "call_out"
                if who == inside_id
                else rng.choice(["visit", "visit", "meeting", "call_out", "email"])
            )
            when = self._done_date(-rng.uniform(1, HISTORY_DAYS), -HISTORY_DAYS, -1)
            created = timezone.make_aware(datetime.combine(when, time(18, 0)))
            drafts.append(self._activity(kind, 0, when, True, account, None, who, created))
        return drafts
