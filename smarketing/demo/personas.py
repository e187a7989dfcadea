"""The four persona cards and their first saved version."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy.engine import Connection

from smarketing.demo.inserts import insert_one
from smarketing.demo.story import HEAD_OF_MARKETING, Story
from smarketing.store.models import Persona, PersonaVersion

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


def write_personas(conn: Connection, st: Story) -> int:
    saved = st.dt(st.start - timedelta(days=20), 14)
    for card in PERSONA_CARDS:
        pid = insert_one(
            conn,
            Persona,
            **card,
            version=1,
            archived=False,
            updated_by=HEAD_OF_MARKETING,
            updated_at=saved,
            is_demo=True,
        )
        insert_one(
            conn,
            PersonaVersion,
            persona_id=pid,
            version=1,
            data=json.dumps(card, ensure_ascii=False),
            saved_by=HEAD_OF_MARKETING,
            saved_at=saved,
            is_demo=True,
        )
    return len(PERSONA_CARDS)
