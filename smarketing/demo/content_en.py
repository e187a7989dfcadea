"""The demo company's texts in English: the words its people typed (personas, briefs,
definitions, meeting notes, decisions, actions, causes, comments) and the names of its
personas, sources, offers and campaigns.

:mod:`smarketing.demo.content_nb` tells the same story in Norwegian bokmål with the same
names, the same list lengths and the same order (a test checks), so the generated figures
are identical whichever language the demo is written in: only the texts differ. These are
content stored in the database, not gettext messages.
"""

from __future__ import annotations

from datetime import date

from smarketing import i18n
from smarketing.meetings.planning import default_title

# --- the cast -----------------------------------------------------------------------------

LEADERSHIP = "Erik Strand (CEO), Maria Moe (marketing), Sam Solberg (sales)"
BOTH_TEAMS = "Maria Moe (marketing), Sam Solberg (sales)"

# --- personas, sources, offers, events and campaigns by name -----------------------------------

PERSONA_NAMES = [
    "Marketing Manager Maria",
    "Head of Sales Henrik",
    "IT Lead Ingrid",
    "Founder Frida",
]
SOURCES = ["Paid search", "Organic search", "Webinar", "LinkedIn", "Events", "Referral"]
EBOOK = "The Smarketing SLA e-book"
OFFERS = [
    EBOOK,
    "Webinar sign-up",
    "Demo request",
    "Pricing page",
    "Newsletter sign-up",
    "Event badge scan",
]
#: in smarketing.demo.story.EVENTS_CALENDAR order
EVENT_NAMES = [
    "Nordic Marketing Forum",
    "Bergen Smarketing Breakfast",
    "Oslo Sales Summit",
    "HubSpot User Group Oslo",
]
#: the campaign for events when no event was held long enough ago
EVENT_FALLBACK = "Smarketing breakfast seminars"
#: in smarketing.demo.story._campaign_plans order; None: the event's campaign
CAMPAIGN_NAMES = [
    "SLA e-book launch",
    "Paid search: book a demo",
    "Webinar: the weekly smarketing meeting",
    "LinkedIn: heads of sales",
    None,
    "Founders: pricing made simple",
    "Webinar series: lead quality",
    "Always-on paid search: SLA e-book",
]


def event_campaign(event: str, year: int) -> str:
    """The campaign of an event: 'Oslo Sales Summit 2026'."""
    return f"{event} {year}"


# --- job titles of the leads ----------------------------------------------------------------

#: job titles by persona (rows in PERSONA_NAMES order, "no persona" last), four each
TITLES = [
    ["Marketing Manager", "Head of Marketing", "Markedssjef", "Digital Marketing Manager"],
    ["Head of Sales", "Salgssjef", "Sales Director", "VP Sales"],
    ["IT Manager", "Head of IT", "IT-sjef", "Operations Manager"],
    ["CEO", "Founder", "Daglig leder", "Co-founder & CEO"],
    ["Consultant", "Project Manager", "Analyst", "Advisor"],
]
STUDENT_TITLE = "Student"
COMPETITOR_TITLE = "Product Marketing Manager"

# --- the persona cards ------------------------------------------------------------------------

PERSONA_CARDS = [
    {
        "name": "Marketing Manager Maria",
        "icon": "📣",
        "role": "Marketing manager",
        "seniority": "Manager; reports to the CEO or a CMO",
        "company_profile": (
            "- Norwegian B2B company with **50–499 employees**\n"
            "- A marketing team of 2–6 people running HubSpot or a similar tool\n"
            "- An inside sales team of 3–10 reps who live in the CRM"
        ),
        "goals": (
            "- Deliver a predictable number of qualified leads every month\n"
            "- Prove marketing's share of revenue, not just clicks and downloads\n"
            "- Get sales to follow up the leads marketing pays for"
        ),
        "challenges": (
            "- Sales says the leads are junk, but nobody says *why*\n"
            "- Monday reporting is stitched together from three tools\n"
            "- The budget is questioned every time the pipeline dips"
        ),
        "information_sources": (
            "- LinkedIn, Kampanje and the HubSpot blog\n"
            "- Webinars and e-books from vendors she trusts\n"
            "- Peers in the local marketing association (ANFO, DMA)"
        ),
        "objections": (
            '- "We already have dashboards in the CRM."\n'
            '- "Sales will never open another tool."\n'
            '- "We have no time to write an SLA."'
        ),
        "messages": (
            "- One scorecard both teams trust, shown in the weekly meeting\n"
            "- Rejection reasons flow back to marketing automatically\n"
            "- See revenue per campaign and offer, not just lead counts"
        ),
        "recognise": (
            "- Title contains *marketing manager*, *markedssjef* or *head of marketing*\n"
            "- Downloads e-books and joins webinars; reads the blog\n"
            "- Asks about reporting and CRM integration on the first call"
        ),
    },
    {
        "name": "Head of Sales Henrik",
        "icon": "🤝",
        "role": "Head of sales / sales director",
        "seniority": "Director; member of the management team",
        "company_profile": (
            "- B2B company with **50–500 employees** and a sales team of 5–20\n"
            "- Sells subscriptions or services with a 1–3 month sales cycle\n"
            "- Has a CRM, but forecasting is still a spreadsheet"
        ),
        "goals": (
            "- Hit the quarterly number without heroics in the last week\n"
            "- Spend the reps' time on leads that can actually buy\n"
            "- A forecast the CEO believes"
        ),
        "challenges": (
            "- Reps cherry-pick leads and let the rest go cold\n"
            "- Marketing counts leads; he counts revenue\n"
            "- No shared view of what happens after hand-off"
        ),
        "information_sources": (
            "- Sales leaders' networks and LinkedIn\n"
            "- Podcasts and books on sales management\n"
            "- Peers at events such as the Oslo Sales Summit"
        ),
        "objections": (
            '- "My reps do not need more reports."\n'
            '- "Marketing should fix lead quality first."\n'
            '- "Show me it works for a team like mine."'
        ),
        "messages": (
            "- Response-time SLA: every MQL called within hours, visible to all\n"
            "- Accept or reject in one click, with the reason going back to marketing\n"
            "- Close rate and pipeline per source, so budget follows revenue"
        ),
        "recognise": (
            "- Title: *head of sales*, *salgssjef*, *sales director*, *VP sales*\n"
            "- Joins webinars about meetings and pipeline; books demos quickly\n"
            "- Converts best of all personas: treat as priority"
        ),
    },
    {
        "name": "IT Lead Ingrid",
        "icon": "🛠️",
        "role": "IT / operations lead",
        "seniority": "Manager; owns systems and integrations",
        "company_profile": (
            "- Mid-sized or large company (**200+ employees**) with an IT department\n"
            "- Owns the CRM integration, single sign-on and data security\n"
            "- Often asked by marketing or sales to 'look at a tool'"
        ),
        "goals": (
            "- Fewer tools, fewer integrations to maintain\n"
            "- Data that is secure, in the EU and GDPR-compliant\n"
            "- Projects that do not land on her desk unannounced"
        ),
        "challenges": (
            "- Shadow IT bought by business teams\n"
            "- Vendors that cannot answer a security questionnaire\n"
            "- Being approached as the buyer when she is not the budget owner"
        ),
        "information_sources": (
            "- Technical documentation and integration pages\n"
            "- Computerworld Norge and Digi.no\n"
            "- Peer recommendations in IT forums"
        ),
        "objections": (
            '- "Where is the data stored, and who can see it?"\n'
            '- "Does it integrate with our CRM and SSO?"\n'
            '- "This is a sales decision, not mine."'
        ),
        "messages": (
            "- Runs on your own database, SQLite or PostgreSQL; data stays with you\n"
            "- Imports standard CRM exports: no custom integration needed\n"
            "- Role-based access; every change is logged"
        ),
        "recognise": (
            "- Title: *IT manager*, *head of IT*, *IT-sjef*, *operations*\n"
            "- Visits integration and security pages, rarely pricing\n"
            "- Often rejected as **wrong persona**: find the business owner instead"
        ),
    },
    {
        "name": "Founder Frida",
        "icon": "🚀",
        "role": "CEO / founder",
        "seniority": "Owner and CEO; decides alone",
        "company_profile": (
            "- Small, fast-growing company with **10–49 employees**\n"
            "- Marketing and sales are a handful of people, often new hires\n"
            "- Buys for the whole company at once and expects to grow into it"
        ),
        "goals": (
            "- Build a repeatable growth engine before the next funding round\n"
            "- Get marketing and sales to work as one team from day one\n"
            "- Numbers she can show the board"
        ),
        "challenges": (
            "- No time: she is CEO, head of sales and product owner\n"
            "- New hires with different ideas of what a lead is\n"
            "- Growth stalls when she stops selling herself"
        ),
        "information_sources": (
            "- Founder networks, StartupLab and investors\n"
            "- LinkedIn posts by other founders\n"
            "- Pricing pages and customer stories"
        ),
        "objections": (
            '- "We are too small for an SLA."\n'
            '- "Can I get a price without a sales call?"\n'
            '- "We will build it in a spreadsheet."'
        ),
        "messages": (
            "- Start with the SLA template and one weekly meeting\n"
            "- Transparent pricing; up and running in a day\n"
            "- Few leads, but **large deals**: she buys the full package"
        ),
        "recognise": (
            "- Title: *CEO*, *founder*, *daglig leder*\n"
            "- Goes straight to the pricing page\n"
            "- Few leads, largest deal values of all personas"
        ),
    },
]

# --- the shared language ------------------------------------------------------------------------

#: (key, term, owner team, body) of the funnel stages, in funnel order
STAGES = [
    (
        "stage_subscriber",
        "Subscriber / prospect",
        "marketing",
        "Someone who follows us (newsletter, blog) but has not shown buying interest.\n\n"
        "- Known: e-mail address, sometimes company\n"
        "- **Not** counted as a lead; not handed to sales",
    ),
    (
        "stage_lead",
        "Lead",
        "marketing",
        "A person who has converted on an offer that signals interest in the problem we "
        "solve (e-book, webinar, demo request, pricing page).\n\n"
        "- Recorded with source, campaign and first conversion\n"
        "- Nurtured by marketing until qualified",
    ),
    (
        "stage_mql",
        "MQL",
        "marketing",
        "A lead that meets the MQL rule (see *MQL*). Marketing's promise in the SLA is "
        "counted here.\n\n- Handed to sales automatically with an owner\n"
        "- The response-time clock starts at `mql_at`",
    ),
    (
        "stage_sal",
        "SAL (accepted)",
        "sales",
        "An MQL that sales has **accepted** as worth working. A rejected MQL gets one of "
        "the agreed reason codes so marketing can learn from it.",
    ),
    (
        "stage_sql",
        "SQL",
        "sales",
        "A lead that sales has qualified in conversation (see *SQL*): a real need, a "
        "buyer and a time frame.",
    ),
    (
        "stage_opportunity",
        "Opportunity",
        "sales",
        "A deal is open in the CRM with a value and an expected close date.",
    ),
    (
        "stage_customer",
        "Customer",
        "both",
        "The contract is signed. Marketing and sales share the credit; the customer "
        "story goes back into marketing.",
    ),
]
#: (key, term, owner team, body, rule) of the terms; the rules are the app's rule syntax
#: (smarketing.content.rules), the same in every language
TERMS = [
    (
        "prospect_vs_lead",
        "Prospect vs lead",
        "both",
        "A **prospect** is a company that fits our ideal customer profile but has not "
        "raised its hand. A **lead** is a person who has converted on one of our offers.\n\n"
        "- Prospects are sales' outbound territory\n"
        "- Leads are marketing's until they become MQLs",
        None,
    ),
    (
        "mql",
        "Marketing-qualified lead (MQL)",
        "marketing",
        "A lead that marketing vouches for: the right kind of person at the right kind "
        "of company, showing buying interest.\n\n"
        "- Lead score at least 60 (fit + behaviour)\n"
        "- A company e-mail address\n"
        "- Handed over to sales within minutes",
        "score >= 60 and company e-mail",
    ),
    (
        "sql",
        "Sales-qualified lead (SQL)",
        "sales",
        "An accepted MQL where the account executive has confirmed, in a conversation:\n\n"
        "1. a problem we solve,\n2. a person who can buy (or leads to them),\n"
        "3. a time frame within two quarters.",
        "need confirmed and buyer identified and time frame <= 6 months",
    ),
    (
        "icp",
        "Ideal customer profile",
        "both",
        "Companies we want as customers:\n\n"
        "- Norwegian or Nordic B2B companies with **50–499 employees**\n"
        "- A marketing team and an inside sales team that hand leads over\n"
        "- A CRM in daily use (HubSpot, Salesforce, Pipedrive)",
        None,
    ),
]
#: the line version 2 of the MQL definition adds, and its rule
MQL_V2_LINE = "\n- **Not** a student or a competitor (checked by marketing ops)"
MQL_V2_RULE = "score >= 60 and company e-mail and not student/competitor"
#: the line version 2 of the ideal customer profile adds
ICP_V2_LINE = "\n- Founder-led companies with 10–49 employees are in, when they buy for growth"

# --- campaign briefs ----------------------------------------------------------------------------


def brief(
    *, persona: str, channel: str, offer: str, start: date, end: date | None, slug: str
) -> dict:
    """A campaign's published brief (the text sales reads)."""
    timeline = f"- Start: {start:%d %b %Y}\n" + (
        f"- End: {end:%d %b %Y}\n" if end else "- End: always on (reviewed monthly)\n"
    )
    timeline += "- Weekly check of volume and acceptance in the smarketing meeting"
    return {
        "goal": (
            f"Generate leads from **{persona}** through {channel.lower()} with the offer "
            f"*{offer}*.\n\n- Lead target: see the campaign's lead target\n"
            "- At least 70 % of the MQLs accepted by sales\n"
            "- Pipeline: SQLs within four weeks of the lead"
        ),
        "offer": offer,
        "key_message": (
            "Marketing and sales as one team: one SLA, one scorecard, one weekly meeting — "
            "and every lead followed up within hours."
        ),
        "talking_points": (
            f"- They came in through *{offer}*; ask what made them look now\n"
            "- Ask how marketing and sales agree on what a good lead is today\n"
            "- Ask how quickly leads are called back, and who checks\n"
            "- Share the customer story of Fjord Data: response time from 9 h to 1 h"
        ),
        "objections": (
            '- **"We already have a CRM dashboard."** — We read your CRM exports; the value '
            "is the agreement and the meeting, not another chart.\n"
            '- **"No time."** — The weekly meeting takes 30 minutes and replaces two others.\n'
            '- **"Too expensive."** — Compare with one lost deal a quarter from a lead '
            "nobody called."
        ),
        "timeline": timeline,
        "links": (
            f"- [Landing page](https://example.com/campaigns/{slug})\n"
            "- [The Smarketing SLA e-book](https://example.com/ebooks/smarketing-sla)\n"
            "- [Customer story: Fjord Data](https://example.com/customers/fjord-data)\n"
            "- [Pricing](https://example.com/pricing)"
        ),
        "sales_cta": (
            "Call within the SLA deadline, offer a 30-minute call about their lead hand-off, "
            "and book a demo with both their marketing and sales leads in the room."
        ),
    }


#: the talking point a revised brief adds
BRIEF_REVISION = "\n- New: tell the round-robin story (9 h to 1 h)"

# --- the SLA ------------------------------------------------------------------------------------

SLA_V1_REASON = (
    "First agreement after the kick-off workshop: marketing promises volume and "
    "quality, sales promises fast follow-up. Targets from last year's averages."
)
SLA_V2_REASON = (
    "Volume is steady above 140 MQLs a month, and since round-robin routing the "
    "median first contact is about an hour. We raise the MQL target to 150 and "
    "tighten the response time to 2 hours."
)

# --- meetings -----------------------------------------------------------------------------------

#: agenda step titles by key (None: the built-in agenda's own titles)
AGENDA_TITLES: dict[str, str] | None = None


def meeting_title(kind: str, day: date) -> str:
    """The demo meeting's title: the one the app gives a meeting it plans, in en."""
    with i18n.language("en"):
        return default_title(kind, day)


#: Why an action was dropped in the actions review.
DROP_REASONS = [
    "Overtaken by the new routing rule; nothing left to do.",
    "The campaign it was for has ended.",
    "Not worth the effort after all: the numbers moved without it.",
]
#: (title, metric, owner)
ACTION_POOL = [
    ("Call back all MQLs older than 4 hours before noon", "contacted_within_sla_rate", "sam.s"),
    ("Add negative keywords for students and job seekers", "mql_acceptance_rate", "jonas.b"),
    ("Share the SLA e-book talking points with the AEs", "sqls", "ida.l"),
    ("Find out why LinkedIn leads stall after the first call", "sqls", "maria.m"),
    ("Clean up duplicate contacts from the event import", "mql_acceptance_rate", "jonas.b"),
    ("Publish the webinar brief for sales", "sqls", "ida.l"),
    ("Review last month's lost deals with the AEs", "close_rate", "sam.s"),
    ("Plan next month's MQL volume by source", "mqls_delivered", "maria.m"),
    ("Follow up open proposals older than 30 days", "close_rate", "kari.n"),
    ("Tag every rejected MQL with a reason code", "mql_acceptance_rate", "lars.j"),
    ("Test a shorter demo-request form", "mqls_delivered", "jonas.b"),
    ("Book reference calls for the founder segment", "customers", "nora.b"),
    ("Report first-contact time per AE every Monday", "median_first_contact_hours", "sam.s"),
    ("Send the pipeline update before Friday", "customers", "sam.s"),
]
#: (title, metric, owner, times carried over)
CARRIED = [
    ("Set up a lead-scoring review with sales", "mql_acceptance_rate", "maria.m", 3),
    (
        "Write the hand-off checklist into the shared language",
        "contacted_within_sla_rate",
        "sam.s",
        2,
    ),
    ("Start a win/loss interview routine", "close_rate", "sam.s", 4),
]
OVERDUE = ("Update the ideal customer profile with last quarter's wins", "customers", "maria.m")
RR_TITLE = "Round-robin MQL routing + a daily triage slot"
RR_DECISION = (
    "Route MQLs round-robin across the five account executives and hold a daily "
    "15-minute triage slot at 09:00."
)
#: (text, metric)
WEEKLY_DECISIONS = [
    ("Webinar leads go to the AE who hosted the webinar.", "sqls"),
    ("Rejected MQLs always get a reason code; 'other' is not allowed.", "mql_acceptance_rate"),
    (
        "Event leads are called within two days, not two hours; they are scanned, not asking.",
        "contacted_within_sla_rate",
    ),
    (
        "Marketing shares next month's campaign calendar in the last meeting of the month.",
        "mqls_delivered",
    ),
    (
        "Proposals without an answer after 30 days get a final call from the sales manager.",
        "close_rate",
    ),
    ("Leads from the pricing page skip nurturing and go straight to sales.", "sqls"),
    (
        "Duplicates are merged by marketing ops before hand-off, not by the AEs.",
        "mql_acceptance_rate",
    ),
    ("The scorecard is shown first in every meeting, before any other topic.", None),
    (
        "Not-reachable leads get three attempts over five days before rejection.",
        "contacted_within_sla_rate",
    ),
    ("Webinar recordings go to every registrant within 24 hours.", "mqls_delivered"),
]
MONTHLY_DECISIONS = [
    ("Shift 10 % of the paid search budget to webinars, which close best.", "close_rate"),
    (
        "Stop targeting IT titles on LinkedIn: too many 'wrong persona' rejections.",
        "mql_acceptance_rate",
    ),
    ("Founder deals get the sales manager as owner because of their size.", "customers"),
    ("One large event per half-year; lumpy volume makes pacing hard.", "mqls_delivered"),
    ("Add students and competitors to the paid search exclusion list.", "mql_acceptance_rate"),
    ("Keep the close-rate target at 20 % and review pipeline hygiene instead.", "close_rate"),
    ("Hire a sixth account executive after the summer if MQLs stay above 140.", "mqls_delivered"),
    ("Move the spring event budget to two webinars and one customer breakfast.", "customers"),
    ("Quarterly review of the personas with two customer interviews each.", None),
    ("Sales and marketing share one pipeline target for next year.", "customers"),
    ("Publish the SLA scorecard on the office screen every Monday.", None),
    ("Keep the founders' package; its deals are three times the average.", "customers"),
]
PRODUCT_NEWS = [
    "New pricing page live; the founders' package is now listed.",
    "HubSpot integration now syncs lifecycle stages every hour.",
    "Customer story with Fjord Data published.",
    "Release 4.2: scorecard export to PDF.",
    "The e-book got a second edition with the SLA template.",
]
CAMPAIGN_NOTES = [
    "Webinar sign-ups ahead of plan; reminder e-mail goes out Thursday.",
    "LinkedIn campaign is behind its lead target; new creative this week.",
    "Paid search: many students again, negative keywords updated.",
    "E-book still the top first conversion.",
    "Event follow-up list imported; duplicates removed first.",
]
#: (category, text) of the spring's "why?" causes; the categories are
#: smarketing.sla.causes.CATEGORIES (database values, never translated)
CAUSES = [
    ("Routing / process", "All MQLs went to Kari and Lars on Mondays; the others had capacity."),
    ("Staffing / capacity", "Two AEs on holiday and one sick; nobody covered the queue."),
    ("Lead volume", "The event brought a spike of scanned leads on one day."),
    ("Routing / process", "MQLs arriving after 15:00 waited until the next morning."),
]
JULY_CAUSE = "Summer holidays: traffic and conversions halve every July."
CLOSE_RATE_CAUSE = "Several large deals slipped into next month; paid search SQLs close poorly."


def short_day(day: date) -> str:
    return f"{day.day} {day:%b}"


def slip_month_cause(name: str, since: date, webinar_day: date | None) -> str:
    """The "why?" of this month's slow first contact."""
    text = (
        f"{name} on parental leave since {short_day(since)} but still in the "
        "round-robin: every fifth MQL waited in his queue, mostly until the next morning's triage."
    )
    if webinar_day is not None:
        text += (
            f" The webinar on {short_day(webinar_day)} doubled the sign-ups for two days, "
            "with four AEs to follow them up."
        )
    return text


def slip_week_cause(name: str) -> str:
    """The "why?" of this week's slow first contact."""
    return (
        f"Still one AE short: {name}'s share of the round-robin waits for the 09:00 "
        "triage; we take him out of the rotation until he is back."
    )


def scorecard_note(mqls: int, target: float, acceptance: float | None) -> str:
    acc = "n/a" if acceptance is None else f"{acceptance:.0%}"
    return f"Last week: {mqls} MQLs against about {target:.0f} needed; accepted {acc}."


def actions_review_note(done: int, reviewed: int, still: list[str]) -> str:
    text = f"{done} of {reviewed} open actions done."
    if still:
        text += f" Carried over: {still[0]}" + (
            f" and {len(still) - 1} more." if len(still) > 1 else "."
        )
    return text


def response_note(median: float, within: float, resp: float) -> str:
    return (
        f"Median first contact {median:.1f} h; {within:.0%} of the MQLs "
        f"contacted within {resp:.0f} h."
    )


SPRING_NOTE = " Queue piles up on Mondays; Kari and Lars get most of the MQLs."
ROUND_ROBIN_NOTE = " Round-robin and the 09:00 triage keep the queue short."


def leave_note(name: str) -> str:
    return (
        f" {name} is on parental leave but still in "
        "the round-robin; his MQLs wait for the next morning's triage."
    )


def trends_note(month: date, mqls: int, target: int) -> str:
    return f"{month:%B}: {mqls} MQLs against a target of {target}."


def sla_v1_decision(since: date) -> str:
    return f"SLA version 1 is the baseline from {since:%d %B %Y}."


def sla_v2_decision(since: date) -> str:
    return (
        f"Adopt SLA version 2 from {since:%d %B %Y}: 150 MQLs a month and first "
        "contact within 2 hours."
    )


# --- verdict comments ------------------------------------------------------------------------

#: by rejection reason (smarketing.demo.leads.REASONS order), two each
REJECT_COMMENTS = [
    ["IT contact, no say over sales tooling", "Works in IT support, passed on to no one"],
    ["Budget frozen until next year", "Interested, but no budget this quarter"],
    ["Phone number and company do not match", "Fake name in the form"],
    ["Student writing a thesis", "Works for a competitor"],
    ["Already in the pipeline with a colleague", "Same person as an open lead"],
    ["Three calls, two e-mails, no answer", "No answer; voicemail full"],
]
ACCEPT_COMMENTS = ["", "", "Good fit, intro call booked", "Knows our category, wants a demo"]
#: the comment of a verdict later replaced: first rejected (then accepted), first accepted
REDO_REJECTED = "No answer on the first two calls"
REDO_ACCEPTED = "Looked fine at first"

# --- activities ---------------------------------------------------------------------------------

NEWSLETTERS = [
    "Newsletter: five SLA mistakes",
    "Newsletter: the weekly meeting agenda",
    "Newsletter: lead scoring in practice",
    "Newsletter: customer story Fjord Data",
]
DOWNLOADS = [
    "Lead scoring checklist",
    "The weekly smarketing meeting agenda template",
    "Buyer persona workbook",
]
MONTHLY_WEBINAR = "Monthly smarketing webinar"
MEETUP = "Meetup"


def webinar_signup(what: str) -> str:
    return f"Webinar sign-up: {what}"


def badge_scan(what: str) -> str:
    return f"Event badge scan: {what}"


INTRO_CALL = "Intro call"
INTRO_EMAIL = "Intro e-mail"
FOLLOW_UP_CALL = "Follow-up call"
FOLLOW_UP_EMAIL = "Follow-up e-mail"
DISCOVERY_MEETING = "Discovery meeting"
DEMO_AND_PROPOSAL = "Demo and proposal"
CONTRACT_SIGNED = "Contract signed"
CLOSED_LOST = "Closed lost: thanks for your time"
PROPOSAL_FOLLOW_UP = "Proposal follow-up"
CHECK_IN_EMAIL = "Check-in e-mail"
