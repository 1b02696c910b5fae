"""The demo company and the large benchmark data set, generated deterministically (the top layer: it
imports from every app below it and nothing imports it).

One generator serves three management commands:

- ``load_demo`` builds 华工智能装备有限公司 (Huagong Intelligent Equipment), an industrial-solutions
  vendor: four regions, eight teams, 41 users, 320 accounts with contacts, 1,600 opportunities with
  their stage history, deal teams and product lines, and ~12k activities; ``demo`` loads it once and
  serves it;
- ``seed --opportunities N`` adds N opportunities (and N/20 accounts) for benchmarks, on top of
  whatever organisation exists.

Everything random comes from ``random.Random`` instances seeded from the ``seed`` argument, and every
date is relative to the ``today`` argument: the same seed and day give the same data. The rules the
data must obey (probability ladder, C139 and bid rules, forecast categories, periods) come from
``kadence.domain`` and the configuration in the database, never from copies here.

Modules, in the order they build on each other:

- ``catalogues``: the names, places, products and texts the company is made of (plain data);
- ``world``: the organisation and catalogue, created in the database and read back as plain data;
- ``accounts``: accounts and contacts as drafts;
- ``simulator``: each opportunity's life, stage by stage, and its activities;
- ``writer``: the bulk writer (COPY on PostgreSQL) and the columns written per table;
- ``deal_control``: each deal's evidence, approvals, assessments, buying centre, milestones, tasks
  and expenses;
- ``planning``: targets, forecasts, order forecasts and calibration;
- ``loader``: the use cases the commands call (``load_demo_company``, ``seed_opportunities``).
"""
