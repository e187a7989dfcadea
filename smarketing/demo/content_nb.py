"""The demo company's texts in Norwegian bokmål: the same story, names and list lengths as
:mod:`smarketing.demo.content_en` (see there), in the words a Norwegian marketing and sales
team would type. Figures and dates are written the Norwegian way (64 %, 1,4 t,
6. des. 2026)."""

from __future__ import annotations

from datetime import date

from babel.dates import format_date

from smarketing import formatting, i18n
from smarketing.meetings.planning import default_title

LOCALE = "nb"

# --- the cast -----------------------------------------------------------------------------

LEADERSHIP = "Erik Strand (daglig leder), Maria Moe (markedsføring), Sam Solberg (salg)"
BOTH_TEAMS = "Maria Moe (markedsføring), Sam Solberg (salg)"

# --- personas, sources, offers, events and campaigns by name -----------------------------------

PERSONA_NAMES = [
    "Markedssjef Maria",
    "Salgssjef Henrik",
    "IT-leder Ingrid",
    "Gründer Frida",
]
SOURCES = ["Betalt søk", "Organisk søk", "Webinar", "LinkedIn", "Arrangementer", "Anbefalinger"]
EBOOK = "E-boka om smarketing-SLA"
OFFERS = [
    EBOOK,
    "Påmelding til webinar",
    "Demoforespørsel",
    "Prissiden",
    "Påmelding til nyhetsbrev",
    "Skannet på arrangement",
]
EVENT_NAMES = [
    "Nordic Marketing Forum",
    "Smarketing-frokost i Bergen",
    "Oslo Sales Summit",
    "HubSpot User Group Oslo",
]
EVENT_FALLBACK = "Smarketing-frokostseminarer"
CAMPAIGN_NAMES = [
    "Lansering av SLA-e-boka",
    "Betalt søk: book en demo",
    "Webinar: det ukentlige smarketing-møtet",
    "LinkedIn: salgssjefer",
    None,
    "Gründere: enkel prising",
    "Webinarserie: leadkvalitet",
    "Løpende betalt søk: SLA-e-boka",
]


def event_campaign(event: str, year: int) -> str:
    """The campaign of an event: 'Oslo Sales Summit 2026'."""
    return f"{event} {year}"


# --- job titles of the leads ----------------------------------------------------------------

TITLES = [
    ["Markedssjef", "Markedsdirektør", "Marketing Manager", "Digital markedssjef"],
    ["Salgssjef", "Salgsdirektør", "Head of Sales", "Salgsleder"],
    ["IT-sjef", "IT-leder", "Driftssjef", "IT Manager"],
    ["Daglig leder", "Gründer", "Gründer og daglig leder", "CEO"],
    ["Konsulent", "Prosjektleder", "Analytiker", "Rådgiver"],
]
STUDENT_TITLE = "Student"
COMPETITOR_TITLE = "Produktmarkedsfører"

# --- the persona cards ------------------------------------------------------------------------

PERSONA_CARDS = [
    {
        "name": "Markedssjef Maria",
        "icon": "📣",
        "role": "Markedssjef",
        "seniority": "Leder; rapporterer til daglig leder eller markedsdirektør",
        "company_profile": (
            "- Norsk B2B-bedrift med **50–499 ansatte**\n"
            "- Et markedsteam på 2–6 personer som bruker HubSpot eller et lignende verktøy\n"
            "- Et innesalgsteam på 3–10 selgere som lever i CRM-et"
        ),
        "goals": (
            "- Levere et forutsigbart antall kvalifiserte leads hver måned\n"
            "- Vise markedsføringens andel av omsetningen, ikke bare klikk og nedlastinger\n"
            "- Få salg til å følge opp de leadsene markedsføring betaler for"
        ),
        "challenges": (
            "- Salg sier at leadsene er søppel, men ingen sier *hvorfor*\n"
            "- Mandagsrapporteringen er lappet sammen fra tre verktøy\n"
            "- Budsjettet blir trukket i tvil hver gang salgstrakten blir tynnere"
        ),
        "information_sources": (
            "- LinkedIn, Kampanje og HubSpot-bloggen\n"
            "- Webinarer og e-bøker fra leverandører hun stoler på\n"
            "- Kolleger i bransjeforeningene (ANFO, DMA)"
        ),
        "objections": (
            "- «Vi har allerede dashbord i CRM-et.»\n"
            "- «Salg kommer aldri til å åpne enda et verktøy.»\n"
            "- «Vi har ikke tid til å skrive en SLA.»"
        ),
        "messages": (
            "- Én resultattavle begge teamene stoler på, vist i det ukentlige møtet\n"
            "- Avvisningsgrunner går automatisk tilbake til markedsføring\n"
            "- Se omsetning per kampanje og tilbud, ikke bare antall leads"
        ),
        "recognise": (
            "- Tittelen inneholder *markedssjef*, *marketing manager* eller "
            "*head of marketing*\n"
            "- Laster ned e-bøker og deltar på webinarer; leser bloggen\n"
            "- Spør om rapportering og CRM-integrasjon i første samtale"
        ),
    },
    {
        "name": "Salgssjef Henrik",
        "icon": "🤝",
        "role": "Salgssjef / salgsdirektør",
        "seniority": "Direktør; sitter i ledergruppen",
        "company_profile": (
            "- B2B-bedrift med **50–500 ansatte** og et salgsteam på 5–20\n"
            "- Selger abonnementer eller tjenester med en salgssyklus på 1–3 måneder\n"
            "- Har CRM, men prognosen lages fortsatt i et regneark"
        ),
        "goals": (
            "- Nå kvartalstallet uten heltedåder den siste uka\n"
            "- Bruke selgernes tid på leads som faktisk kan kjøpe\n"
            "- En prognose daglig leder tror på"
        ),
        "challenges": (
            "- Selgerne plukker de beste leadsene og lar resten bli kalde\n"
            "- Markedsføring teller leads; han teller omsetning\n"
            "- Ingen felles oversikt over hva som skjer etter overleveringen"
        ),
        "information_sources": (
            "- Nettverk for salgsledere og LinkedIn\n"
            "- Podkaster og bøker om salgsledelse\n"
            "- Kolleger på arrangementer som Oslo Sales Summit"
        ),
        "objections": (
            "- «Selgerne mine trenger ikke flere rapporter.»\n"
            "- «Markedsføring må fikse leadkvaliteten først.»\n"
            "- «Vis meg at det fungerer for et team som mitt.»"
        ),
        "messages": (
            "- SLA for responstid: hver MQL blir ringt innen få timer, synlig for alle\n"
            "- Godta eller avvis med ett klikk, og grunnen går tilbake til markedsføring\n"
            "- Lukkerate og salgstrakt per kilde, så budsjettet følger omsetningen"
        ),
        "recognise": (
            "- Tittel: *salgssjef*, *salgsdirektør*, *head of sales*, *VP sales*\n"
            "- Deltar på webinarer om møter og salgstrakt; booker demo raskt\n"
            "- Konverterer best av alle personaene: prioriter"
        ),
    },
    {
        "name": "IT-leder Ingrid",
        "icon": "🛠️",
        "role": "IT- / driftsleder",
        "seniority": "Leder; eier systemer og integrasjoner",
        "company_profile": (
            "- Mellomstor eller stor bedrift (**200+ ansatte**) med egen IT-avdeling\n"
            "- Eier CRM-integrasjonen, single sign-on og datasikkerheten\n"
            "- Blir ofte bedt av markedsføring eller salg om å «se på et verktøy»"
        ),
        "goals": (
            "- Færre verktøy og færre integrasjoner å vedlikeholde\n"
            "- Data som er sikre, lagres i EU og følger GDPR\n"
            "- Prosjekter som ikke havner på pulten hennes uanmeldt"
        ),
        "challenges": (
            "- Skygge-IT kjøpt inn av forretningsteamene\n"
            "- Leverandører som ikke kan svare på et sikkerhetsskjema\n"
            "- Å bli kontaktet som kjøper når hun ikke eier budsjettet"
        ),
        "information_sources": (
            "- Teknisk dokumentasjon og integrasjonssider\n"
            "- Computerworld Norge og Digi.no\n"
            "- Anbefalinger fra kolleger i IT-fora"
        ),
        "objections": (
            "- «Hvor lagres dataene, og hvem kan se dem?»\n"
            "- «Kan det integreres med CRM-et og SSO-en vår?»\n"
            "- «Dette er en salgsbeslutning, ikke min.»"
        ),
        "messages": (
            "- Kjører på deres egen database, SQLite eller PostgreSQL; dataene blir hos dere\n"
            "- Importerer vanlige CRM-eksporter: ingen egen integrasjon nødvendig\n"
            "- Rollebasert tilgang; hver endring logges"
        ),
        "recognise": (
            "- Tittel: *IT-sjef*, *IT-leder*, *IT manager*, *drift*\n"
            "- Besøker integrasjons- og sikkerhetssidene, sjelden prissiden\n"
            "- Blir ofte avvist som **feil persona**: finn heller den som eier behovet"
        ),
    },
    {
        "name": "Gründer Frida",
        "icon": "🚀",
        "role": "Daglig leder / gründer",
        "seniority": "Eier og daglig leder; bestemmer alene",
        "company_profile": (
            "- Liten bedrift i rask vekst med **10–49 ansatte**\n"
            "- Markedsføring og salg er en håndfull personer, ofte nyansatte\n"
            "- Kjøper for hele bedriften på én gang og regner med å vokse inn i det"
        ),
        "goals": (
            "- Bygge en repeterbar vekstmotor før neste finansieringsrunde\n"
            "- Få markedsføring og salg til å jobbe som ett team fra første dag\n"
            "- Tall hun kan vise styret"
        ),
        "challenges": (
            "- Ingen tid: hun er daglig leder, salgssjef og produkteier\n"
            "- Nyansatte med ulike meninger om hva en lead er\n"
            "- Veksten stopper opp når hun slutter å selge selv"
        ),
        "information_sources": (
            "- Gründernettverk, StartupLab og investorer\n"
            "- LinkedIn-innlegg fra andre gründere\n"
            "- Prissider og kundehistorier"
        ),
        "objections": (
            "- «Vi er for små for en SLA.»\n"
            "- «Kan jeg få en pris uten en salgssamtale?»\n"
            "- «Vi lager det i et regneark.»"
        ),
        "messages": (
            "- Start med SLA-malen og ett ukentlig møte\n"
            "- Åpne priser; i gang på én dag\n"
            "- Få leads, men **store avtaler**: hun kjøper hele pakken"
        ),
        "recognise": (
            "- Tittel: *daglig leder*, *gründer*, *CEO*, *founder*\n"
            "- Går rett til prissiden\n"
            "- Få leads, men de største avtaleverdiene av alle personaene"
        ),
    },
]

# --- the shared language ------------------------------------------------------------------------

STAGES = [
    (
        "stage_subscriber",
        "Abonnent / prospekt",
        "marketing",
        "Noen som følger oss (nyhetsbrev, blogg), men som ikke har vist kjøpsinteresse.\n\n"
        "- Kjent: e-postadresse, noen ganger bedrift\n"
        "- Telles **ikke** som lead; overleveres ikke til salg",
    ),
    (
        "stage_lead",
        "Lead",
        "marketing",
        "En person som har konvertert på et tilbud som viser interesse for problemet vi "
        "løser (e-bok, webinar, demoforespørsel, prissiden).\n\n"
        "- Registreres med kilde, kampanje og første konvertering\n"
        "- Pleies av markedsføring til den er kvalifisert",
    ),
    (
        "stage_mql",
        "MQL",
        "marketing",
        "En lead som oppfyller MQL-regelen (se *MQL*). Markedsføringens løfte i SLA-en "
        "telles her.\n\n- Overleveres automatisk til salg med en eier\n"
        "- Klokka for responstid starter ved `mql_at`",
    ),
    (
        "stage_sal",
        "SAL (godtatt)",
        "sales",
        "En MQL som salg har **godtatt** som verdt å jobbe med. En avvist MQL får en av de "
        "avtalte avvisningsgrunnene, så markedsføring kan lære av den.",
    ),
    (
        "stage_sql",
        "SQL",
        "sales",
        "En lead som salg har kvalifisert i en samtale (se *SQL*): et reelt behov, en "
        "kjøper og en tidsramme.",
    ),
    (
        "stage_opportunity",
        "Salgsmulighet",
        "sales",
        "En avtale er åpnet i CRM-et med en verdi og en forventet lukkedato.",
    ),
    (
        "stage_customer",
        "Kunde",
        "both",
        "Kontrakten er signert. Markedsføring og salg deler æren; kundehistorien går "
        "tilbake til markedsføring.",
    ),
]
TERMS = [
    (
        "prospect_vs_lead",
        "Prospekt eller lead",
        "both",
        "Et **prospekt** er en bedrift som passer vår ideelle kundeprofil, men som ikke har "
        "rukket opp hånda. En **lead** er en person som har konvertert på et av tilbudene "
        "våre.\n\n"
        "- Prospekter er salgs område for oppsøkende salg\n"
        "- Leads tilhører markedsføring til de blir MQL-er",
        None,
    ),
    (
        "mql",
        "Markedskvalifisert lead (MQL)",
        "marketing",
        "En lead som markedsføring går god for: riktig type person i riktig type bedrift, "
        "som viser kjøpsinteresse.\n\n"
        "- Leadscore på minst 60 (match + atferd)\n"
        "- En e-postadresse i bedriftens domene\n"
        "- Overleveres til salg i løpet av minutter",
        "score >= 60 and company e-mail",
    ),
    (
        "sql",
        "Salgskvalifisert lead (SQL)",
        "sales",
        "En godtatt MQL der selgeren har bekreftet i en samtale:\n\n"
        "1. et problem vi løser,\n2. en person som kan kjøpe (eller leder oss til dem),\n"
        "3. en tidsramme innen to kvartaler.",
        "need confirmed and buyer identified and time frame <= 6 months",
    ),
    (
        "icp",
        "Ideell kundeprofil",
        "both",
        "Bedrifter vi vil ha som kunder:\n\n"
        "- Norske eller nordiske B2B-bedrifter med **50–499 ansatte**\n"
        "- Et markedsteam og et innesalgsteam som overleverer leads\n"
        "- Et CRM i daglig bruk (HubSpot, Salesforce, Pipedrive)",
        None,
    ),
]
MQL_V2_LINE = "\n- **Ikke** student eller konkurrent (sjekkes av marketing ops)"
MQL_V2_RULE = "score >= 60 and company e-mail and not student/competitor"
ICP_V2_LINE = "\n- Gründerledede bedrifter med 10–49 ansatte er med når de kjøper for å vokse"

# --- figures and dates, the Norwegian way ---------------------------------------------------


def _day(d: date) -> str:
    """'6. des. 2026'."""
    return format_date(d, "d. MMM y", locale=LOCALE)


def _long_day(d: date) -> str:
    """'1. september 2026'."""
    return format_date(d, "d. MMMM y", locale=LOCALE)


def short_day(d: date) -> str:
    """'6. des.'."""
    return format_date(d, "d. MMM", locale=LOCALE)


def _percent(value: float) -> str:
    with i18n.language(LOCALE):
        return formatting.percent(value, digits=0)


def _hours(value: float) -> str:
    with i18n.language(LOCALE):
        return formatting.hours(value)


# --- campaign briefs ----------------------------------------------------------------------------


def brief(
    *, persona: str, channel: str, offer: str, start: date, end: date | None, slug: str
) -> dict:
    """A campaign's published brief (the text sales reads)."""
    timeline = f"- Start: {_day(start)}\n" + (
        f"- Slutt: {_day(end)}\n" if end else "- Slutt: løpende (gjennomgås hver måned)\n"
    )
    timeline += "- Ukentlig sjekk av volum og godtatte leads i smarketing-møtet"
    return {
        "goal": (
            f"Skaffe leads fra **{persona}** via {channel.lower()} med tilbudet "
            f"*{offer}*.\n\n- Leadmål: se kampanjens leadmål\n"
            "- Minst 70 % av MQL-ene godtatt av salg\n"
            "- Salgstrakt: SQL-er innen fire uker etter leaden"
        ),
        "offer": offer,
        "key_message": (
            "Markedsføring og salg som ett team: én SLA, én resultattavle, ett ukentlig "
            "møte – og hver lead fulgt opp innen få timer."
        ),
        "talking_points": (
            f"- De kom inn via *{offer}*; spør hva som fikk dem til å se på dette nå\n"
            "- Spør hvordan markedsføring og salg i dag blir enige om hva en god lead er\n"
            "- Spør hvor raskt leads blir ringt opp, og hvem som følger med\n"
            "- Fortell kundehistorien til Fjord Data: responstid fra 9 t til 1 t"
        ),
        "objections": (
            "- **«Vi har allerede et dashbord i CRM-et.»** – Vi leser CRM-eksportene deres; "
            "verdien ligger i avtalen og møtet, ikke i enda et diagram.\n"
            "- **«Ingen tid.»** – Det ukentlige møtet tar 30 minutter og erstatter to andre.\n"
            "- **«For dyrt.»** – Sammenlign med én tapt avtale i kvartalet fra en lead "
            "ingen ringte."
        ),
        "timeline": timeline,
        "links": (
            f"- [Landingsside](https://example.com/campaigns/{slug})\n"
            "- [E-boka om smarketing-SLA](https://example.com/ebooks/smarketing-sla)\n"
            "- [Kundehistorie: Fjord Data](https://example.com/customers/fjord-data)\n"
            "- [Priser](https://example.com/pricing)"
        ),
        "sales_cta": (
            "Ring innen SLA-fristen, tilby en samtale på 30 minutter om hvordan de "
            "overleverer leads, og book en demo med både markedssjefen og salgssjefen deres "
            "i rommet."
        ),
    }


BRIEF_REVISION = "\n- Nytt: fortell historien om round robin-fordelingen (fra 9 t til 1 t)"

# --- the SLA ------------------------------------------------------------------------------------

SLA_V1_REASON = (
    "Første avtale etter oppstartsworkshopen: markedsføring lover volum og kvalitet, "
    "salg lover rask oppfølging. Målene bygger på fjorårets gjennomsnitt."
)
SLA_V2_REASON = (
    "Volumet ligger stabilt over 140 MQL-er i måneden, og siden round robin-fordelingen "
    "har median tid til første kontakt vært rundt en time. Vi øker MQL-målet til 150 og "
    "strammer inn responstiden til 2 timer."
)

# --- meetings -----------------------------------------------------------------------------------

AGENDA_TITLES: dict[str, str] | None = {
    "scorecard": "Resultattavle",
    "sla_challenges": "SLA-utfordringer",
    "lead_quality": "Leadkvalitet",
    "campaigns": "Kampanjer",
    "personas_news": "Personaer og produktnyheter",
    "actions_review": "Gjennomgang av tiltak",
    "new_actions": "Nye tiltak",
    "wrap_up": "Oppsummering",
    "trends": "Trender per måned",
    "sla_history": "SLA-historikk",
    "decisions": "Beslutninger om kursendringer",
}


def meeting_title(kind: str, day: date) -> str:
    """The demo meeting's title: the one the app gives a meeting it plans, in nb."""
    with i18n.language("nb"):
        return default_title(kind, day)


DROP_REASONS = [
    "Gjort overflødig av den nye fordelingsregelen; ingenting igjen å gjøre.",
    "Kampanjen det gjaldt, er avsluttet.",
    "Ikke verdt innsatsen likevel: tallene flyttet seg uten det.",
]
ACTION_POOL = [
    ("Ring tilbake alle MQL-er eldre enn 4 timer før kl. 12", "contacted_within_sla_rate", "sam.s"),
    ("Legg inn negative søkeord for studenter og jobbsøkere", "mql_acceptance_rate", "jonas.b"),
    ("Del samtalepunktene fra SLA-e-boka med selgerne", "sqls", "ida.l"),
    ("Finn ut hvorfor LinkedIn-leads stopper opp etter første samtale", "sqls", "maria.m"),
    ("Rydd opp i dobbeltkontakter fra arrangementsimporten", "mql_acceptance_rate", "jonas.b"),
    ("Publiser webinarbriefen for salg", "sqls", "ida.l"),
    ("Gå gjennom forrige måneds tapte avtaler med selgerne", "close_rate", "sam.s"),
    ("Planlegg neste måneds MQL-volum per kilde", "mqls_delivered", "maria.m"),
    ("Følg opp åpne tilbud eldre enn 30 dager", "close_rate", "kari.n"),
    ("Merk hver avviste MQL med en avvisningsgrunn", "mql_acceptance_rate", "lars.j"),
    ("Test et kortere skjema for demoforespørsler", "mqls_delivered", "jonas.b"),
    ("Avtal referansesamtaler for gründersegmentet", "customers", "nora.b"),
    (
        "Rapporter tid til første kontakt per selger hver mandag",
        "median_first_contact_hours",
        "sam.s",
    ),
    ("Send oppdateringen av salgstrakten før fredag", "customers", "sam.s"),
]
CARRIED = [
    ("Sett opp en gjennomgang av leadscoringen med salg", "mql_acceptance_rate", "maria.m", 3),
    (
        "Skriv sjekklisten for overlevering inn i det felles språket",
        "contacted_within_sla_rate",
        "sam.s",
        2,
    ),
    ("Start en fast rutine for intervjuer om vunne og tapte avtaler", "close_rate", "sam.s", 4),
]
OVERDUE = (
    "Oppdater den ideelle kundeprofilen med forrige kvartals vunne avtaler",
    "customers",
    "maria.m",
)
RR_TITLE = "Round robin-fordeling av MQL-er + daglig triage"
RR_DECISION = (
    "MQL-er fordeles på rundgang (round robin) mellom de fem selgerne, og vi holder en "
    "daglig triage på 15 minutter kl. 09.00."
)
WEEKLY_DECISIONS = [
    ("Webinar-leads går til selgeren som holdt webinaret.", "sqls"),
    ("Avviste MQL-er får alltid en avvisningsgrunn; «annet» er ikke lov.", "mql_acceptance_rate"),
    (
        "Leads fra arrangementer ringes innen to dager, ikke to timer; de er skannet og har "
        "ikke bedt om kontakt.",
        "contacted_within_sla_rate",
    ),
    (
        "Markedsføring deler neste måneds kampanjekalender i månedens siste møte.",
        "mqls_delivered",
    ),
    (
        "Tilbud uten svar etter 30 dager får en siste telefon fra salgssjefen.",
        "close_rate",
    ),
    ("Leads fra prissiden hopper over lead-pleien og går rett til salg.", "sqls"),
    (
        "Duplikater slås sammen av marketing ops før overlevering, ikke av selgerne.",
        "mql_acceptance_rate",
    ),
    ("Resultattavla vises først i hvert møte, før alle andre saker.", None),
    (
        "Leads vi ikke når, får tre forsøk over fem dager før de avvises.",
        "contacted_within_sla_rate",
    ),
    ("Webinaropptak sendes til alle påmeldte innen 24 timer.", "mqls_delivered"),
]
MONTHLY_DECISIONS = [
    ("Flytt 10 % av budsjettet for betalt søk til webinarer, som lukker best.", "close_rate"),
    (
        "Slutt å målrette IT-titler på LinkedIn: for mange avvisninger som «feil persona».",
        "mql_acceptance_rate",
    ),
    ("Gründeravtaler får salgssjefen som eier på grunn av størrelsen.", "customers"),
    ("Ett stort arrangement per halvår; ujevnt volum gjør tempoet vanskelig.", "mqls_delivered"),
    (
        "Legg studenter og konkurrenter til i ekskluderingslisten for betalt søk.",
        "mql_acceptance_rate",
    ),
    ("Behold målet for lukkerate på 20 % og rydd i salgstrakten i stedet.", "close_rate"),
    (
        "Ansett en sjette selger etter sommeren hvis MQL-ene holder seg over 140.",
        "mqls_delivered",
    ),
    ("Flytt vårens arrangementsbudsjett til to webinarer og én kundefrokost.", "customers"),
    ("Kvartalsvis gjennomgang av personaene med to kundeintervjuer hver.", None),
    ("Salg og markedsføring deler ett mål for salgstrakten neste år.", "customers"),
    ("Vis SLA-resultattavla på skjermen i kontorlandskapet hver mandag.", None),
    ("Behold gründerpakken; avtalene der er tre ganger så store som snittet.", "customers"),
]
PRODUCT_NEWS = [
    "Ny prisside er ute; gründerpakken er nå med.",
    "HubSpot-integrasjonen synkroniserer nå livssyklusfaser hver time.",
    "Kundehistorien med Fjord Data er publisert.",
    "Versjon 4.2: eksport av resultattavla til PDF.",
    "E-boka har fått en andre utgave med SLA-malen.",
]
CAMPAIGN_NOTES = [
    "Påmeldingene til webinaret ligger foran plan; påminnelse på e-post går ut torsdag.",
    "LinkedIn-kampanjen ligger bak leadmålet; nytt kreativt materiell denne uka.",
    "Betalt søk: mange studenter igjen, negative søkeord er oppdatert.",
    "E-boka er fortsatt den vanligste første konverteringen.",
    "Oppfølgingslista fra arrangementet er importert; duplikater fjernet først.",
]
CAUSES = [
    (
        "Routing / process",
        "Alle MQL-er gikk til Kari og Lars på mandager; de andre hadde kapasitet.",
    ),
    ("Staffing / capacity", "To selgere på ferie og én syk; ingen dekket køen."),
    ("Lead volume", "Arrangementet ga en topp av skannede leads på én dag."),
    ("Routing / process", "MQL-er som kom etter kl. 15.00, ventet til neste morgen."),
]
JULY_CAUSE = "Sommerferie: trafikk og konverteringer halveres hver juli."
CLOSE_RATE_CAUSE = (
    "Flere store avtaler gled over i neste måned; SQL-er fra betalt søk lukkes dårlig."
)


def slip_month_cause(name: str, since: date, webinar_day: date | None) -> str:
    """The "why?" of this month's slow first contact."""
    text = (
        f"{name} er i foreldrepermisjon fra {short_day(since)}, men står fortsatt i "
        "round robin-fordelingen: hver femte MQL ventet i køen hans, stort sett til neste "
        "morgens triage."
    )
    if webinar_day is not None:
        text += (
            f" Webinaret {short_day(webinar_day)} doblet påmeldingene i to dager, "
            "med fire selgere til å følge dem opp."
        )
    return text


def slip_week_cause(name: str) -> str:
    """The "why?" of this week's slow first contact."""
    return (
        f"Fortsatt én selger for lite: {name}s andel av round robin-fordelingen venter på "
        "triagen kl. 09.00; vi tar ham ut av rotasjonen til han er tilbake."
    )


def scorecard_note(mqls: int, target: float, acceptance: float | None) -> str:
    acc = "–" if acceptance is None else _percent(acceptance)
    return f"Forrige uke: {mqls} MQL-er mot rundt {target:.0f} som trengs; {acc} godtatt."


def actions_review_note(done: int, reviewed: int, still: list[str]) -> str:
    text = f"{done} av {reviewed} åpne tiltak er gjort."
    if still:
        text += f" Videreført: {still[0]}" + (
            f" og {len(still) - 1} til." if len(still) > 1 else "."
        )
    return text


def response_note(median: float, within: float, resp: float) -> str:
    return (
        f"Median tid til første kontakt {_hours(median)}; {_percent(within)} av MQL-ene "
        f"kontaktet innen {resp:.0f} t."
    )


SPRING_NOTE = " Køen hoper seg opp på mandager; Kari og Lars får de fleste MQL-ene."
ROUND_ROBIN_NOTE = " Round robin og triagen kl. 09.00 holder køen kort."


def leave_note(name: str) -> str:
    return (
        f" {name} er i foreldrepermisjon, men står fortsatt i round robin-fordelingen; "
        "MQL-ene hans venter på neste morgens triage."
    )


def trends_note(month: date, mqls: int, target: int) -> str:
    name = format_date(month, "LLLL", locale=LOCALE).capitalize()
    return f"{name}: {mqls} MQL-er mot et mål på {target}."


def sla_v1_decision(since: date) -> str:
    return f"SLA versjon 1 er utgangspunktet fra {_long_day(since)}."


def sla_v2_decision(since: date) -> str:
    return (
        f"Vi tar i bruk SLA versjon 2 fra {_long_day(since)}: 150 MQL-er i måneden og "
        "første kontakt innen 2 timer."
    )


# --- verdict comments ------------------------------------------------------------------------

REJECT_COMMENTS = [
    [
        "IT-kontakt, har ikke noe å si om salgsverktøy",
        "Jobber i IT-support, sendte det ikke videre til noen",
    ],
    ["Budsjettet er frosset til neste år", "Interessert, men ikke budsjett dette kvartalet"],
    ["Telefonnummer og bedrift stemmer ikke", "Falskt navn i skjemaet"],
    ["Student som skriver masteroppgave", "Jobber hos en konkurrent"],
    ["Allerede i salgstrakten hos en kollega", "Samme person som en åpen lead"],
    ["Tre telefoner, to e-poster, ikke svar", "Ikke svar; talepostkassen er full"],
]
ACCEPT_COMMENTS = [
    "",
    "",
    "God match, introsamtale er booket",
    "Kjenner kategorien, vil ha en demo",
]
REDO_REJECTED = "Ikke svar på de to første telefonene"
REDO_ACCEPTED = "Så bra ut i starten"

# --- activities ---------------------------------------------------------------------------------

NEWSLETTERS = [
    "Nyhetsbrev: fem SLA-tabber",
    "Nyhetsbrev: agendaen for det ukentlige møtet",
    "Nyhetsbrev: leadscoring i praksis",
    "Nyhetsbrev: kundehistorie Fjord Data",
]
DOWNLOADS = [
    "Sjekkliste for leadscoring",
    "Agendamal for det ukentlige smarketing-møtet",
    "Arbeidsbok for kjøperpersonaer",
]
MONTHLY_WEBINAR = "Månedlig smarketing-webinar"
MEETUP = "Meetup"


def webinar_signup(what: str) -> str:
    return f"Påmelding til webinar: {what}"


def badge_scan(what: str) -> str:
    return f"Skannet på arrangement: {what}"


INTRO_CALL = "Introsamtale"
INTRO_EMAIL = "Intro-e-post"
FOLLOW_UP_CALL = "Oppfølgingssamtale"
FOLLOW_UP_EMAIL = "Oppfølgings-e-post"
DISCOVERY_MEETING = "Behovsmøte"
DEMO_AND_PROPOSAL = "Demo og tilbud"
CONTRACT_SIGNED = "Kontrakt signert"
CLOSED_LOST = "Tapt: takk for tiden din"
PROPOSAL_FOLLOW_UP = "Oppfølging av tilbud"
CHECK_IN_EMAIL = "Kort hilsen på e-post"
