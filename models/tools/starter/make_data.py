#!/usr/bin/python3
"""Offline, deterministic training/test data for the two starter models (MiniLM-L6 fine-tunes):
a CoNLL-style NER tagger (PER, ORG, LOC, MISC) and a 3-class sentiment classifier.

Usage: /usr/bin/python3 models/tools/starter/make_data.py --out DIR [--seed 7]
Writes DIR/ner-{train,test}.jsonl, DIR/sentiment-{train,test}.jsonl and DIR/data-stats.json; installs the
VADER teacher with `npm ci` into DIR/vader-node (from package.json/package-lock.json beside this file).
Same seed and same Debian files -> byte-identical outputs. Python standard library only.

Sources (all read from the local Debian installation; nothing is downloaded except the npm package):
  fortunes      /usr/share/games/fortunes (Debian `fortunes`/`fortunes-min` 1:1.99.1, fortune-mod).
                Licence per /usr/share/doc/fortunes/copyright: "BSD copyright" (the 4-clause BSD licence of
                the Regents of the University of California with clause 3 deleted, i.e. 3-clause BSD).
                The `off/` (offensive) folder is not used; nor are ascii-art (drawings) and translate-me (Latin).
  WordNet 3.0   /usr/share/wordnet/data.* (Debian `wordnet-base`). Licence: "WordNet3.0" (WordNet 3.0
                licence, Princeton University, permissive), /usr/share/doc/wordnet-base/copyright.
  iso-codes     /usr/share/iso-codes/json (Debian `iso-codes`). Licence: LGPL-2.1+; used as training data only.
  VADER         npm `vader-sentiment` 1.1.3 (vaderSentiment-js, Comcast). Licence: Apache-2.0 per its
                package.json/LICENSE/NOTICE (the Python vaderSentiment original is MIT). Teacher labels only.

NER: template sentences (news, chat, support-ticket/log and social styles) filled from gazetteers built from
WordNet noun instances (classified by walking hypernyms to anchor synsets), capitalised WordNet hyponyms of
organisations/holidays/languages/contests, WordNet country pertainyms (demonyms), iso-codes countries,
subdivisions and living languages, plus synthetic people/organisation/event/product/work names; ~25% entity-free
sentences from WordNet examples and fortunes. Test uses held-out templates, held-out surface forms (seeded hash
split of every gazetteer string, 85/15) and held-out negatives, and is checked disjoint from train.
Sentiment: fortunes entries/sentences and WordNet examples labelled by VADER compound (>=0.05 positive,
<=-0.05 negative, else neutral), class-balanced by capping, test disjoint from train by normalised text.
"""
import argparse, hashlib, json, os, random, re, shutil, subprocess, sys, time
from collections import Counter, defaultdict

WN, FORT, ISO = '/usr/share/wordnet', '/usr/share/games/fortunes', '/usr/share/iso-codes/json'
HERE = os.path.dirname(os.path.abspath(__file__))
T0 = time.time()
SOURCES = {
    'fortunes': {'path': FORT, 'package': 'fortunes 1:1.99.1 (fortune-mod)', 'licence': 'BSD copyright '
                 '(4-clause BSD of the Regents of the University of California with clause 3 deleted, i.e. BSD-3-Clause)',
                 'excluded': ['off/', 'ascii-art', 'translate-me']},
    'wordnet': {'path': WN, 'package': 'wordnet-base 1:3.0', 'licence': 'WordNet3.0 (WordNet 3.0 license, Princeton University)'},
    'iso-codes': {'path': ISO, 'package': 'iso-codes', 'licence': 'LGPL-2.1+ (used as training data only)'},
    'vader-sentiment': {'package': 'npm vader-sentiment 1.1.3', 'licence': 'Apache-2.0 (vaderSentiment-js; Python original is MIT)'},
}
TYPES = ('PER', 'ORG', 'LOC', 'MISC')

def log(msg):
    print(f'[{time.time() - T0:6.1f}s] {msg}', flush=True)

def in_test(seed, s, pct=15):  # seeded split of a surface form, the same in every list it appears in
    return int(hashlib.sha1(f'{seed}\0{s.lower()}'.encode()).hexdigest()[:8], 16) % 100 < pct

# ---------------------------------------------------------------- WordNet
def read_wn(pos):
    syn = {}
    for line in open(f'{WN}/data.{pos}', encoding='utf-8'):
        if line.startswith('  '):
            continue
        head, _, gloss = line.partition(' | ')
        t = head.split()
        n = int(t[3], 16)
        words = [re.sub(r'\(.*\)$', '', t[4 + 2 * i]) for i in range(n)]
        i = 4 + 2 * n
        ptrs = [tuple(t[i + 1 + 4 * k:i + 5 + 4 * k]) for k in range(int(t[i]))]
        syn[t[0]] = (int(t[1]), words, ptrs, gloss)
    return syn

# anchor synsets (WordNet 3.0 offsets) -> (type, subtype); None = not an entity we want
ANCHORS = {
    '00007846': ('PER', 'person'), '09505418': ('PER', 'person'),                   # person, deity
    '08524735': ('LOC', 'city'), '08665504': ('LOC', 'city'), '08633957': ('LOC', 'city'),  # city, town, port
    '08544813': ('LOC', 'country'), '08168978': ('LOC', 'country'),                 # country, state/nation
    '08654360': ('LOC', 'region'), '08491826': ('LOC', 'region'), '08574314': ('LOC', 'region'),
    '08630985': ('LOC', 'region'), '08630039': ('LOC', 'region'), '00027167': ('LOC', 'region'),
    '09254614': ('LOC', 'region'),                                                  # continent
    '09411430': ('LOC', 'nature'), '09225146': ('LOC', 'nature'), '09366317': ('LOC', 'nature'),
    '09287968': ('LOC', 'nature'), '09316454': ('LOC', 'nature'), '09334396': ('LOC', 'nature'),
    '04341686': ('LOC', 'facility'), '04564698': ('LOC', 'facility'),              # structure, way
    '08008335': ('ORG', 'org'), '08256968': ('ORG', 'org'), '08056231': ('ORG', 'company'),
    '08061042': ('ORG', 'company'), '04511002': ('ORG', 'edu'), '03069752': ('ORG', 'edu'),
    '04323026': ('ORG', 'org'),                                                      # stock exchange
    '00029378': ('MISC', 'hist'), '13981403': ('MISC', 'hist'),                     # event, war (state)
    '07456638': ('MISC', 'event'), '07464725': ('MISC', 'event'),                   # athletic contest, tournament
    '15183428': ('MISC', 'holiday'), '06282651': ('MISC', 'language'),
    '04599396': ('MISC', 'work'), '06362953': ('MISC', 'work'), '06589574': ('MISC', 'work'),
    '07037465': ('MISC', 'work'), '06613686': ('MISC', 'work'), '06429590': ('MISC', 'work'),
    '09239740': None, '09252970': None, '08520401': None, '05625879': None,         # sky, imaginary places
    '08392137': None, '15113229': None, '00015388': None, '00021939': None,         # terrorist groups, eras, animals, artifacts
    '07967382': None, '08166552': None, '08081668': None, '08685677': None,          # ethnic groups, peoples,
}                                                                                    #   religions, zodiac signs
PARTICLES = {'of', 'the', 'and', 'de', 'da', 'di', 'del', 'della', 'van', 'von', 'der', 'den', 'du', 'la', 'le',
             'des', 'y', 'for', 'on', 'in', 'al', 'bin', 'ibn', 'upon', 'am', 'an', 'et', 'e', 'do', 'dos', 'el'}
HIST_WORDS = r'\b(War|Battle|Revolution|Crusade|Siege|Rebellion|Uprising|Campaign|Invasion|Offensive|Revolt|Raid|Crisis|Airlift|Rising|Depression|Project|Program|Scandal)\b'
TITLES = set('''Saint St. King Queen Sir Lord Lady Pope President General Emperor Prince Princess Mount Mt. Dr. Captain
    Duke Count Mr. Mrs. Czar Tsar Admiral Apostle Ayatollah Baron Baroness Bishop Archbishop Cardinal Commodore Dame
    Duc Duchess Father Mother Madame Marquise Marshal Mullah Shah Kaiser Viscount Ras The Big Little Old Great First
    Gentleman Iron Santa Brother Sister Uncle Aunt Chief Sultan Caliph Rabbi Jesus Judas Jupiter Pallas'''.split())

def name_ok(s):
    w = s.split()
    return (bool(w) and re.fullmatch(r"[^\W\d_][\w.'\- ]*", s) is not None and s[0].isupper() and s[-1] != '-'
            and all(x[0].isupper() or x in PARTICLES or x.startswith(('al-', 'el-')) for x in w))

def classify(nouns, off):
    seen, frontier = {off}, [off]
    while frontier:
        hit = [ANCHORS[o] for o in frontier if o in ANCHORS]
        if hit:
            return hit[0]
        nxt = []
        for o in frontier:
            for sym, tgt, pos, _ in nouns[o][2]:
                if sym in ('@', '@i') and tgt not in seen:
                    seen.add(tgt); nxt.append(tgt)
        frontier = sorted(nxt)
    return None

def wordnet_gazetteers(nouns, adjs):
    gaz = defaultdict(set)
    first, last = Counter(), set()
    loc_offs = set()
    for off in sorted(nouns):
        lexf, words, ptrs, _ = nouns[off]
        inst = any(p[0] == '@i' for p in ptrs)
        names = [w.replace('_', ' ') for w in words]
        if not inst and not (names[0][:1].isupper() and lexf in (10, 11, 14, 28)):
            continue
        cls = classify(nouns, off)
        if cls is None or (not inst and cls[1] not in ('org', 'company', 'holiday', 'language', 'event')):
            continue
        typ, sub = cls
        if sub == 'hist':
            names = [n[0].upper() + n[1:] for n in names]
            multi = [n for n in names if ' ' in n]
            names = multi or names
        names = [n for n in names if name_ok(n)]
        if typ == 'PER':
            full = [n for n in names if ' ' in n and n.split()[0] not in TITLES and '.' not in n.split()[0]]
            for n in full:
                gaz['PER', 'full'].add(n)
                f = n.split()[0]
                if len(n.split()) <= 3 and f.isalpha() and f[0].isupper() and len(f) > 2:
                    first[f] += 1
            single = [n for n in names if ' ' not in n]
            for n in single:
                if any(f.split()[-1] == n for f in full):
                    last.add(n)
                elif not full:
                    gaz['PER', 'full'].add(n)
        else:
            gaz[typ, sub].update(names)
        if typ == 'LOC' and sub in ('country', 'region', 'city'):
            loc_offs.add(off)
    demonyms = set()  # adjectives whose pertainym pointer (\) leads to a country/region/city noun
    for off, (_, words, ptrs, _) in sorted(adjs.items()):
        for sym, tgt, pos, st in ptrs:
            if sym == '\\' and pos == 'n' and tgt in loc_offs:
                src = int(st[:2], 16)
                for w in ([words[src - 1]] if src else words):
                    w = w.replace('_', ' ')
                    if name_ok(w):
                        demonyms.add(w)
    gaz['MISC', 'nat'] = demonyms - {'Mongoloid', 'Negroid', 'Caucasoid', 'Eurasiatic'}
    # clean-ups found by looking at samples: ORG/work aliases that are plain words ("Interior", "Judges"),
    # one-word battles that are also towns, two-letter state codes among regions
    common = {w for syns in (nouns, adjs) for v in syns.values() for w in v[1] if w.islower()}
    locs = set().union(*(v for k, v in gaz.items() if k[0] == 'LOC'))
    for k in [k for k in gaz if k[0] == 'ORG'] + [('MISC', 'work')]:
        gaz[k] = {n for n in gaz[k] if n not in locs and not (' ' not in n and n.lower() in common)}
    gaz['MISC', 'hist'] = {n for n in gaz['MISC', 'hist'] if re.search(HIST_WORDS, n)}
    gaz['LOC', 'region'] = {n for n in gaz['LOC', 'region'] if not n.isupper()}
    return gaz, {f for f, c in first.items() if c >= 2 or f.lower() not in common} - last, last

def wordnet_examples(syns_by_pos):
    out = []
    for pos in ('noun', 'verb', 'adj', 'adv'):
        for off in sorted(syns_by_pos[pos]):
            for ex in re.findall(r'"([^"]+)"', syns_by_pos[pos][off][3]):
                out.append(ex.strip())
    return out

# ---------------------------------------------------------------- iso-codes
def iso_gazetteers():
    gaz = defaultdict(set)
    for c in json.load(open(f'{ISO}/iso_3166-1.json', encoding='utf-8'))['3166-1']:
        for k in ('name', 'common_name'):
            if k in c and name_ok(c[k]):
                gaz['LOC', 'country'].add(c[k])
    keep = ('US', 'CA', 'GB', 'IE', 'AU', 'NZ', 'DE', 'AT', 'CH', 'FR', 'IT', 'ES', 'NL', 'BE', 'IN', 'BR',
            'MX', 'AR', 'ZA', 'NG', 'KE', 'SE', 'NO', 'PL')
    for s in json.load(open(f'{ISO}/iso_3166-2.json', encoding='utf-8'))['3166-2']:
        if s['code'][:2] in keep and name_ok(s['name']) and len(s['name'].split()) <= 4:
            gaz['LOC', 'region'].add(s['name'])
    for l in json.load(open(f'{ISO}/iso_639-3.json', encoding='utf-8'))['639-3']:
        if l.get('type') == 'L' and l.get('scope') == 'I' and name_ok(l['name']):
            gaz['MISC', 'language_all'].add(l['name'])
    for l in json.load(open(f'{ISO}/iso_639-2.json', encoding='utf-8'))['639-2']:
        if name_ok(l['name']) and len(l['name'].split()) <= 2:
            gaz['MISC', 'language'].add(l['name'])
    return gaz

# ---------------------------------------------------------------- fortunes
def fortune_entries():
    out = []
    for name in sorted(os.listdir(FORT)):
        path = os.path.join(FORT, name)
        if '.' in name or name in ('ascii-art', 'translate-me') or not os.path.isfile(path):
            continue
        raw = open(path, 'rb').read().decode('utf-8', 'replace')
        raw = re.sub(r'.\x08', '', raw)  # overstriking (underline/bold)
        for entry in re.split(r'\n%\n', raw):
            lines = []
            for ln in entry.split('\n'):
                if re.match(r'\s*--\s*\S', ln):  # attribution starts; drop it and what follows
                    break
                lines.append(ln)
            text = ' '.join(' '.join(lines).split())
            if re.search('[\x80-\x9f]', text):  # a few entries are UTF-8 encoded twice
                try:
                    text = text.encode('latin-1').decode('utf-8')
                except UnicodeError:
                    pass
            if text and text != '%':
                out.append(text)
    return out

def sentences(text):
    return [s.strip() for s in re.split(r'(?<=[.!?])\s+(?=["\'(]?[A-Z])', text) if s.strip()]

def prose(text):  # drops IRC logs, code, URLs, ASCII art and other non-prose lines from fortunes
    chars = text.replace(' ', '')
    return (len(text) <= 220 and not re.search(r'<[^>]*>|https?:|[{}\\^|#=_~\x80-\x9f]|\.\.\.\.|\*\*', text)
            and sum(c.isalpha() for c in chars) >= 0.75 * len(chars))

def norm(text):
    return ' '.join(re.findall(r'[a-z0-9]+', text.lower()))

# ---------------------------------------------------------------- hand lists (small; everything else is derived)
HAND_FIRST = '''Emma Olivia Liam Noah Sophia Mia Lucas Ethan Chloe Jack Angela Lukas Anna Jonas Lea Leon Sofia Mateo Lucia
    Diego Valentina Camila Javier Priya Arjun Ananya Rohan Aditi Vikram Wei Jing Hao Mei Yuki Haruto Sakura Kenji Aiko
    Omar Fatima Layla Youssef Aisha Karim Amara Kwame Chidi Zanele Thabo Ngozi Ivan Olga Dmitri Katarzyna Piotr Agnieszka
    Jiwoo Minho Seojun Emre Elif Mehmet Zeynep Lars Ingrid Astrid Sven Aoife Ciaran Siobhan Tiago Beatriz Joao Nia Kai
    Maya Zoe Ava Isabella Daniel Sara Tariq Nadia Hamza Leila Marco Giulia Matteo Chiara'''.split()
HAND_LAST = '''Smith Johnson Brown Garcia Martinez Rodriguez Lopez Hernandez Nguyen Tran Kim Park Lee Chen Wang Zhang Liu
    Patel Sharma Singh Gupta Khan Ahmed Hassan Ali Okafor Mensah Okonkwo Diallo Mwangi Kowalski Novak Ivanova Petrov
    Muller Schmidt Schneider Fischer Weber Becker Rossi Russo Ferrari Bianchi Silva Santos Oliveira Costa Pereira
    Yamamoto Tanaka Suzuki Sato Nakamura Jensen Hansen Nielsen Johansson Lindqvist Murphy Kelly Byrne Walsh Dubois Moreau
    Lefebvre Laurent Yilmaz Kaya Demir Cohen Levi Friedman Anderson Thompson Robinson Clarke Wright Evans Morales'''.split()
BRAND = '''Falcon Cedar Harbor Summit Pioneer Evergreen Atlas Beacon Horizon Meridian Northwind Orion Pinnacle Quartz
    Redwood Sapphire Silverline Sterling Titan Vertex Zenith Apex Aurora Bluewater Cobalt Crescent Crown Delta Eagle
    Ember Everest Frontier Granite Greenfield Highland Ironwood Keystone Lakeside Liberty Lighthouse Maple Monarch Nova
    Oakridge Obsidian Pacific Paragon Phoenix Polar Prairie Prime Radiant Raven Ridgeway Riverside Sequoia Sierra Solstice
    Spectrum Stonebridge Sunrise Tidewater Trident Unity Vanguard Velocity Willow Windmill Zephyr Acorn Amber Anchor
    Arrow Birch Bright Canyon Compass Coral Cypress Dawn Echo Fairway Fjord Galaxy Golden Hawthorn Heron Indigo Juniper
    Kestrel Lantern Lotus Magnolia Mosaic Nimbus Onyx Osprey Pebble Quill Saffron Tundra Violet Westbrook'''.split()
DEPTS = '''Finance Defence Health Education Agriculture Justice Transport Energy Labour Culture Interior Trade Tourism
    Housing Environment Fisheries Communications Science Sport Industry'''.split()
SUFFIX = 'Pro X Max Air Mini Plus Ultra S Go Lite One Neo Edge 2 3 4 5 7 9 10 11 12 200 360 500 X1 X2'.split()
COMPANY_PATTERNS = ['{last} & Sons', '{last} Group', '{last} & {last}', '{last} Holdings', '{last} Motors',
    '{last} Partners', '{brand} Bank', '{brand} Airlines', '{brand} Corporation', '{brand} Inc.', '{brand} Ltd',
    '{brand} Labs', '{brand} Systems', '{brand} Technologies', '{brand} Energy', '{brand} Media', '{brand} Foods',
    '{brand} Logistics', '{brand} Insurance', '{brand} Pharma', '{brand} Capital', '{brand} Software', '{city} Bank',
    '{nat} Airlines', '{country} Telecom', '{brand} {brand} Partners', '{acro} Capital', '{acro}', '{brand}soft',
    '{brand} Motors', '{city} Water', '{brand} Retail', 'Bank of {country}', '{brand} Hotels']
ORG_PATTERNS = ['University of {city}', '{city} University', '{city} Institute of Technology', '{city} United',
    '{city} Rovers', '{city} FC', '{city} City Council', '{city} General Hospital', 'Ministry of {dept}',
    '{nat} Football Federation', '{brand} Foundation', '{last} Institute', '{city} Symphony Orchestra',
    '{city} Police Department', '{acro}', '{country} National Bank', '{nat} Red Cross', '{city} Chamber of Commerce',
    '{nat} Democratic Party', '{city} Athletic', '{brand} Trust', '{city} Wanderers', 'Department of {dept}']
EVENT_PATTERNS = ['{city} Marathon', '{city} Open', '{country} Grand Prix', '{city} Film Festival', '{city} Book Fair',
    '{city} Jazz Festival', '{nat} Open', '{country} Cup', '{city} Motor Show', '{city} Summit', '{nat} Grand Prix',
    '{city} Biennale', '{brand} Cup', '{city} Games', '{city} Fashion Week']
WORK_PATTERNS = ['The {brand} of {city}', '{brand} and {brand}', 'Letters from {city}', 'The Last {brand}',
    'A Summer in {city}', 'The {nat} Garden', '{brand} Rising', 'Songs of {country}', 'The {brand} Diaries']
DAYS = 'Monday Tuesday Wednesday Thursday Friday Saturday Sunday'.split()
MONTHS = 'January February March April May June July August September October November December'.split()

# {SLOT} entity slots; {NUM} {PCT} {SCORE} {DAY} {MONTH} {YEAR} {TIME} {TICKET} {DATE} are non-entity fillers.
SLOT_TYPE = dict(PER='PER', FIRST='PER', LAST='PER', ORG='ORG', COMPANY='ORG', LOC='LOC', CITY='LOC',
                 COUNTRY='LOC', REGION='LOC', NAT='MISC', LANG='MISC', EVENT='MISC', HIST='MISC', HOLIDAY='MISC',
                 WORK='MISC', PRODUCT='MISC')
ATOM_TYPE = dict(per_full='PER', first='PER', last='PER', city='LOC', country='LOC', region='LOC', nature='LOC',
                 facility='LOC', org='ORG', company='ORG', edu='ORG', nat='MISC', language='MISC', language_all='MISC',
                 hist='MISC', event='MISC', holiday='MISC', work='MISC', brand='parts of names', dept='parts of names')
TEMPLATES = [t.strip() for t in '''
{PER} visited {CITY} on {DAY}. || {PER}, chief executive of {COMPANY}, said the {NAT} market was weak.
{ORG} said on {DAY} it would cut {NUM} jobs in {COUNTRY}. || Shares in {COMPANY} fell {PCT} percent after {PER} resigned.
{COUNTRY} beat {COUNTRY} {SCORE} in the final of the {EVENT}. || The {NAT} government has rejected the proposal, a spokesman for {ORG} said.
Police in {CITY} arrested {NUM} people after protests outside the {ORG} headquarters. || {PER} will meet {PER} in {CITY} next week to discuss trade.
{LAST} told reporters in {CITY} that talks with {ORG} had stalled. || "We are very happy with the result," said {PER}, who coaches {ORG}.
{COMPANY} shares closed up {PCT} percent in {CITY} on {DAY}. || The {EVENT} will be held in {CITY} in {MONTH}.
{PER} won the {EVENT} after beating {PER} in straight sets. || Floods have hit parts of {REGION}, forcing thousands from their homes.
{COUNTRY}'s central bank raised interest rates on {DAY}. || {PER} was born in {CITY} in {YEAR}.
{ORG} appointed {PER} as its new chairman. || {NAT} and {NAT} officials met in {CITY} to discuss the border dispute.
Heavy rain delayed the start of the {EVENT} in {CITY}. || {PER}, a former {ORG} executive, joined {COMPANY} in {YEAR}.
{COMPANY} agreed to buy {COMPANY} for {NUM} million dollars. || The {REGION} region has been hit by a drought, according to {ORG}.
{PER} scored twice as {ORG} beat {ORG} {SCORE}. || In {CITY}, {ORG} opened a new office with {NUM} staff.
{WORK} was translated into {LANG} in {YEAR}. || {LANG} is widely spoken in {REGION}.
Mr {LAST} declined to comment on the report. || Ms. {LAST} said {COMPANY} would appeal the ruling.
{PER} ({COUNTRY}) finished third. || Results from the {EVENT}: 1. {PER} ({COUNTRY}) 2. {PER} ({COUNTRY})
{CITY:upper} {DATE} - {ORG} reported higher profits for the quarter. || The {NAT} team arrived in {CITY} ahead of the {EVENT}.
{PER} was elected president of {ORG} on {DAY}. || Thousands gathered in {CITY} to celebrate {HOLIDAY}.
{HOLIDAY} sales at {COMPANY} rose {PCT} percent. || The {ORG} spokesman, {PER}, said the plan was under review.
Exports from {COUNTRY} to {COUNTRY} rose {PCT} percent in {MONTH}. || {PER} is expected to travel to {COUNTRY} after the {EVENT}.
A magnitude {NUM} earthquake struck near {CITY} early on {DAY}. || {ORG} fined {COMPANY} for breaching competition rules.
The {NAT} striker joined {ORG} from {ORG} for an undisclosed fee. || {PER}'s new novel is set in {CITY}.
{PER} directed the film adaptation of {WORK}. || Tourists flocked to {LOC} this summer.
{PER} has been named the new ambassador to {COUNTRY}. || {COMPANY} will build a factory near {CITY}, creating {NUM} jobs.
{NAT} officials said the talks in {CITY} had been constructive. || According to {ORG}, inflation in {COUNTRY} reached {PCT} percent.
{ORG} and {ORG} signed a cooperation agreement in {CITY}. || {PER}, who speaks fluent {LANG}, will lead the delegation.
hey {FIRST}, are you coming to {CITY} this weekend? || {FIRST} said she'd meet us at the {ORG} office at {TIME}
lol {FIRST} just moved to {CITY} || can you ask {PER} to send me the slides?
thanks {FIRST}! see you in {CITY} || I love how {COMPANY} handles refunds lol
anyone know a good {NAT} restaurant near {LOC}? || my flight to {CITY} got cancelled again ugh
{FIRST} and I are watching the {EVENT} tonight || ok so {PER} is giving a talk at {ORG} tomorrow
does {COMPANY} deliver to {COUNTRY}? || i'm learning {LANG} before my trip to {COUNTRY}
happy {HOLIDAY} everyone! || {FIRST}, did you read {WORK} yet?
just landed in {CITY}, call me when you're free || {FIRST} works at {COMPANY} now, right?
is {ORG} open on {HOLIDAY}? || we should go to {LOC} next summer
{FIRST}'s birthday party is in {CITY} on {DAY} || ugh {COMPANY} support put me on hold for {NUM} minutes
who's playing in the {EVENT} this year? || {PER} is my new manager at {COMPANY}
missed the train to {CITY}, running late || {FIRST}: did anyone from {ORG} reply?
brb, talking to {FIRST} about the {CITY} trip || Ticket #{TICKET}: customer {PER} reports login failures since {DAY}.
[{TIME}] user {PER} logged in from {CITY}, {COUNTRY} || Order {TICKET} shipped from {CITY} warehouse to {CITY}.
Refund request from {PER} ({COMPANY}) escalated to tier 2. || Customer in {COUNTRY} cannot pay with {COMPANY} card, error {NUM}.
Assigned to {FIRST}. Priority: high. Region: {REGION}. || {PRODUCT} crashes on startup after the latest update.
My {PRODUCT} stopped charging, bought it in {CITY} last month. || Account locked for {PER}; identity verified via phone.
Shipment delayed at customs in {CITY}, {COUNTRY}. || Escalation: {COMPANY} reports outage affecting users in {REGION}.
WARN payment gateway timeout for merchant {COMPANY} (region {COUNTRY}) || Caller {PER} asked to change delivery address to {CITY}.
{FIRST} from {COMPANY} says the invoice was paid on {DAY}. || Please translate the manual into {LANG} for the {COUNTRY} launch.
Hi, I ordered a {PRODUCT} on {DAY} and it still hasn't arrived. || Dear {ORG} team, my card was charged twice.
Thanks for your help. Regards, {PER} || Forwarded to {PER} in the {CITY} office.
The {PRODUCT} firmware update fails with error code {NUM}. || Meeting with {COMPANY} moved to {DAY} at {TIME}, {CITY} time.
INFO session started user={FIRST} location={CITY} || Vendor {COMPANY} contract renewal due in {MONTH}.
Ticket closed by {FIRST}: duplicate of #{TICKET}. || Hello {FIRST}, your package from {COMPANY} is out for delivery.
Flight from {CITY} to {CITY} delayed again #travel || Can't believe {PER} just did that at the {EVENT}!!
{ORG} really needs to fix their app smh || Shoutout to {FIRST} for the amazing {NAT} food tonight
Watching {ORG} vs {ORG} tonight, who's with me? || So proud of {PER} for winning the {EVENT}
{CITY} traffic is a nightmare today || Best {HOLIDAY} ever with the fam in {CITY} ❤️
Just finished {WORK}, what a read || Breaking: {ORG} announces new CEO {PER}
RT if you miss {CITY} || {PER} for president lol
New blog post: 10 things to do in {CITY} || Nothing beats a {NAT} breakfast on a {DAY} morning
{COMPANY} customer service is the worst, waited {NUM} hours || Thanks {ORG} for the quick response!
Road trip from {CITY} to {LOC} starts tomorrow! || Who else is going to the {EVENT} in {CITY}?
{PER} just followed me back omg || Learning {LANG} one day at a time #languages
Sunset over {LOC} tonight was unreal || {FIRST} and {FIRST} are getting married in {COUNTRY}!
Is it just me or is the {PRODUCT} getting worse with every update? || Live from the {EVENT}: {PER} takes the lead
Proud to announce I've joined {COMPANY} as a software engineer! || {PER} joined {ORG} in {CITY} last year.
{LANG} speakers in {COUNTRY} protested the new education law. || The {NAT} prime minister, {PER}, arrived in {CITY} on {DAY}.
{PER} and {PER} announced their engagement in {CITY}. || Tourism in {COUNTRY} grew by {PCT} percent, {ORG} said.
{ORG} confirmed that {PER} had left the company. || {PER} lives in {CITY} with her two children.
The {EVENT} drew a record crowd of {NUM} people. || {COUNTRY} will host the {EVENT} for the first time.
{PER} wrote {WORK} while living in {CITY}. || A new edition of {WORK} has been published by {COMPANY}.
Residents of {REGION} voted against the plan. || {COMPANY}, based in {CITY}, makes parts for {COMPANY}.
The talks between {ORG} and {ORG} will resume in {MONTH}. || {PER} thanked {ORG} for its support.
Critics say {ORG} ignored warnings about the project near {LOC}. || {PER} said {NAT} investors were nervous ahead of the vote.
Fighting broke out near {CITY} on {DAY}, {ORG} reported. || {ORG} signed {PER} on a two-year contract.
The {NAT} delegation walked out of the meeting in {CITY}. || Prices in {CITY} rose faster than anywhere else in {COUNTRY}.
{PER} said: "{ORG} has let us down." || {LAST} has played for {ORG} since {YEAR}.
{COUNTRY} and {COUNTRY} restored diplomatic ties on {DAY}. || Students at {ORG} held a rally in support of {PER}.
Snow closed roads across {REGION} overnight. || {PER} of {ORG} said demand for {NAT} goods was strong.
The museum in {CITY} will display a rare copy of {WORK}. || Celebrations for {HOLIDAY} began early in {COUNTRY}.
{ORG} warned of strikes at airports in {COUNTRY} during {HOLIDAY}. || "{WORK}" is still my favourite book.
{PER} spent {NUM} years teaching {LANG} in {CITY}. || {PER} (born {YEAR}) is a {NAT} writer.
{PER} is a {NAT} politician and a member of {ORG}. || {CITY} is the largest city in {REGION}.
{PER} spoke to {ORG} about the {EVENT}. || Visitors to {LOC} are advised to book early.
The road between {CITY} and {CITY} remains closed. || {COMPANY} recalled {NUM} units of the {PRODUCT}.
Reviewers praised the {PRODUCT} but criticised its price. || {COMPANY} unveiled the {PRODUCT} at the {EVENT}.
{PER}, {NUM}, from {CITY}, was named player of the match. || Weather: sunny in {CITY}, rain expected in {REGION} by {DAY}.
{ORG} | {CITY} | {COUNTRY} || {PER} to visit {COUNTRY} as tensions rise
{COMPANY} profit falls on weak {NAT} demand || {ORG} to cut jobs in {CITY}
{COUNTRY} bans imports of {NAT} beef || {NAT} stocks close higher; {COMPANY} leads gains
We went hiking near {LOC} in {MONTH}. || {CITY} is lovely in {MONTH}.
{COMPANY} is hiring again. || {NAT} cuisine is so underrated
Greetings from {CITY}! || Where exactly is {LOC}?
My grandfather fought in the {HIST}. || {PER} wrote a history of the {HIST}.
The exhibition in {CITY} marks the anniversary of the {HIST}. || Historians still argue about the causes of the {HIST}.
{LAST}: "I have nothing more to say." || According to {LAST}, the deal with {COMPANY} is off.
{FIRST} replied to the thread about {PRODUCT} pricing || Is the {PRODUCT} available in {COUNTRY} yet?
{ORG} condemned the attack in {CITY}. || {PER} resigned from {ORG} citing health reasons.
{PER} met {NAT} business leaders in {CITY}. || The {EVENT} was cancelled because of the storm.
{COMPANY} and {COMPANY} are in merger talks, sources say. || Voters in {REGION} go to the polls on {DAY}.
{PER} leads the {EVENT} by two strokes. || Our {CITY} office will be closed for {HOLIDAY}.
{FIRST} pls send the {CITY} numbers before {TIME} || Delivery to {CITY}, {REGION} failed: address not found.
ERROR sync failed for user {FIRST} (region={COUNTRY}) || {ORG} has opened an inquiry into {COMPANY}.
{PER} is the author of {WORK}. || We're moving from {CITY} to {CITY} in {MONTH}!
The {NAT} film won the top prize at the {EVENT}. || Good morning from {LOC}!
{LANG} and {LANG} are both official languages there. || {PER}, {ORG}'s head of research, will retire in {YEAR}.
In {YEAR}, {PER} founded {COMPANY} in a garage in {CITY}. || Any tips for a first trip to {COUNTRY}?
Ticket #{TICKET} closed: duplicate. || Server restarted at {TIME}, no errors reported.
Meeting moved to {DAY} at {TIME}. || Reminder: the office is closed on {DAY}.
'''.strip().split('\n') for t in t.split(' || ')]

# ---------------------------------------------------------------- NER generation
def pick(rng, weighted):
    x, acc = rng.random() * sum(w for w, _ in weighted), 0.0
    for w, v in weighted:
        acc += w
        if x < acc:
            return v
    return weighted[-1][1]

class Filler:
    """Draws slot values for one split from that split's pools (lists of surface forms)."""
    def __init__(self, pools, rng):
        self.p, self.rng = pools, rng

    def w(self, key, weight):  # a list can be empty on the test side (e.g. the 7 WordNet contests)
        return weight if self.p[key] else 0

    def atom(self, key):
        return self.rng.choice(self.p[key])

    def pattern(self, patterns):
        r = self.rng
        subs = dict(last=lambda: self.atom('last'), brand=lambda: self.atom('brand'), city=lambda: self.atom('city'),
                    nat=lambda: self.atom('nat'), country=lambda: self.atom('country'), dept=lambda: self.atom('dept'),
                    acro=lambda: ''.join(r.choice('ABCDEFGHIJKLMNOPRSTUVW') for _ in range(r.randint(2, 4))))
        return re.sub(r'\{(\w+)\}', lambda m: subs[m.group(1)](), r.choice(patterns))

    def slot(self, name):
        a, r = self.atom, self.rng
        if name == 'PER':
            return pick(r, [(5, lambda: f"{a('first')} {a('last')}"), (4, lambda: a('per_full')),
                            (1, lambda: f"{a('first')} {r.choice('ABCDEFGHJKLMNPRSTW')}. {a('last')}")])()
        if name == 'FIRST': return a('first')
        if name == 'LAST': return a('last')
        if name == 'COMPANY':
            return pick(r, [(85, lambda: self.pattern(COMPANY_PATTERNS)), (self.w('company', 15), lambda: a('company'))])()
        if name == 'ORG':
            return pick(r, [(self.w('org', 35), lambda: a('org')), (self.w('edu', 5), lambda: a('edu')), (25, lambda: self.slot('COMPANY')),
                            (35, lambda: self.pattern(ORG_PATTERNS))])()
        if name == 'LOC':
            return a(pick(r, [(35, 'city'), (25, 'country'), (20, 'region'), (12, 'nature'), (8, 'facility')]))
        if name in ('CITY', 'COUNTRY', 'REGION', 'NAT', 'HIST', 'HOLIDAY'):
            return a(name.lower())
        if name == 'LANG': return a(pick(r, [(6, 'language'), (4, 'language_all')]))
        if name == 'EVENT':
            return pick(r, [(self.w('event', 15), lambda: a('event')), (85, lambda: self.pattern(EVENT_PATTERNS))])()
        if name == 'WORK':
            return pick(r, [(self.w('work', 5), lambda: a('work')), (5, lambda: self.pattern(WORK_PATTERNS))])()
        if name == 'PRODUCT':
            return pick(r, [(6, lambda: f"{a('brand')} {r.choice(SUFFIX)}"), (2, lambda: f"{a('brand')} {a('brand')}"),
                            (2, lambda: f"{a('brand')}{r.choice(['Phone', 'Book', 'Pad', 'Watch', 'Cam'])} {r.choice(SUFFIX)}")])()
        # non-entity fillers
        return {'NUM': lambda: str(pick(r, [(6, r.randint(2, 20)), (3, r.randint(21, 500)), (1, r.randint(501, 9000))])),
                'PCT': lambda: f'{r.randint(0, 30)}.{r.randint(0, 9)}', 'SCORE': lambda: f'{r.randint(0, 5)}-{r.randint(0, 4)}',
                'DAY': lambda: r.choice(DAYS), 'MONTH': lambda: r.choice(MONTHS), 'YEAR': lambda: str(r.randint(1950, 2025)),
                'TIME': lambda: r.choice([f'{r.randint(0, 23):02d}:{r.choice([0, 15, 30, 45]):02d}', f'{r.randint(1, 12)}pm', f'{r.randint(6, 11)}am']),
                'TICKET': lambda: str(r.randint(10000, 999999)),
                'DATE': lambda: f'{r.randint(1995, 2025)}-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}'}[name]()

    def fill(self, template):
        r, parts, ents, pos, used = self.rng, [], [], 0, set()
        lower = r.random() < 0.04  # chat-style all-lowercase (the model is uncased; offsets stay exact)
        for i, piece in enumerate(re.split(r'\{(\w+(?::upper)?)\}', template)):
            name = None
            if i % 2:
                name, _, mod = piece.partition(':')
                piece = self.slot(name)
                for _ in range(5):  # avoid "Paris ... Paris" when a template has two slots of one kind
                    if piece not in used:
                        break
                    piece = self.slot(name)
                used.add(piece)
                if mod == 'upper' or (name in SLOT_TYPE and r.random() < 0.02):
                    piece = piece.upper()
            if lower:
                piece = piece.lower()
            if name in SLOT_TYPE:
                ents.append({'start': pos, 'end': pos + len(piece), 'type': SLOT_TYPE[name]})
            parts.append(piece)
            pos += len(piece)
        text = ''.join(parts)
        if text.endswith('.') and r.random() < 0.08 and not (ents and ents[-1]['end'] == len(text)):
            text = text[:-1]
        return text, ents

def negatives_ok(sentence, name_words):
    words = sentence.split()
    if not 4 <= len(words) <= 30 or re.search(r'[<>|@\\{}\[\]_=#*~^\x80-\x9f]|http|\t', sentence):
        return False
    if sum(c.isalpha() for c in sentence) < 0.6 * len(sentence):
        return False
    strip = [w.strip('"\'`()[],.;:!?-') for w in words]
    if any(w[:1].isupper() and not re.fullmatch(r"I('m|'ve|'d|'ll)?", w) for w in strip[1:]):
        return False
    return strip[0] not in name_words

ATOM_SLOT = dict(per_full='PER', first='FIRST', last='LAST', city='CITY', country='COUNTRY', region='REGION',
                 nature='LOC', facility='LOC', org='ORG', company='COMPANY', edu='ORG', nat='NAT', language='LANG',
                 hist='HIST', event='EVENT', holiday='HOLIDAY', work='WORK')

def real_templates(texts, atoms):
    """Real sentences turned into templates: each name found in the gazetteers becomes a slot of its kind. Kept
    only when every capitalised word after the first (but I) lies inside such a name, so that the sentence has
    no unlabelled name, and when each name belongs to one entity type only (no 'Jordan': PER and LOC)."""
    kinds = defaultdict(set)
    for k, v in atoms.items():
        if k in ATOM_SLOT:
            for name in v:
                kinds[name].add(k)
    slot_of = {n: ATOM_SLOT[min(ks)] for n, ks in kinds.items() if len({ATOM_TYPE[k] for k in ks}) == 1 and len(n) > 2}
    longest = max(len(n.split()) for n in slot_of)
    out, seen = [], set()
    for text in texts:
        if not 4 <= len(text.split()) <= 30 or re.search(r'[{}<>|@\\\[\]_=#*~^\x80-\x9f\t]|http', text):
            continue
        tokens = list(re.finditer(r"[A-Za-z][\w.'-]*[\w.]|[A-Za-z]", text))
        parts, pos, i, names, ok = [], 0, 0, 0, True
        while i < len(tokens):
            for n in range(min(longest, len(tokens) - i), 0, -1):
                span = text[tokens[i].start():tokens[i + n - 1].end()].rstrip('.')
                if span in slot_of and text[tokens[i].start():tokens[i].start() + len(span)] == span:
                    parts += [text[pos:tokens[i].start()], '{' + slot_of[span] + '}']
                    pos = tokens[i].start() + len(span)
                    names += 1
                    i += n
                    break
            else:
                w = tokens[i].group()
                if i > 0 and w[0].isupper() and not re.fullmatch(r"I('m|'ve|'d|'ll)?", w):
                    ok = False
                    break
                i += 1
        if ok and names and pos <= len(text):
            template = ''.join(parts) + text[pos:]
            if template not in seen:
                seen.add(template)
                out.append(template)
    return out

LOG_FORMATS = [  # machine log lines without entities; the first 9 train, the rest test
    '{ts} {level} [{svc}] connection refused to {host}:{port} after {n} retries',
    '{ts} {level} [{svc}] disk {path} is {n}% full on host {host}',
    '{ts} {level} [{svc}] request failed with status {status} after {n} ms',
    '{level} {svc}: {exc} in {path} line {n}',
    '[{ts}] {level} worker={svc} job_id={hex} state=retrying attempt={n}',
    '{ts} {level} {svc}[{n}]: health check of {host} took {n} ms',
    '{level} [{svc}] cache miss ratio {n}% on {host}, evicting {n} keys',
    '{ts} {level} gc pause {n} ms in {svc} (heap {n} MB)',
    '{svc} {level} consumer lag {n} on partition {n} of topic {topic}',
    '{ts} {level} [{svc}] upstream {host}:{port} timed out; retry {n} of 5',
    '{level} {ts} {svc} wrote {n} records to {path} in {n} ms',
    '{ts} [{svc}] {level} {exc}: pool exhausted (max {n}) while calling {host}',
    '{level} {svc} config reloaded from {path} (checksum {hex})',
]
LOG_WORDS = ('payment checkout auth search gateway billing kafka broker db cache api worker scheduler ingest etl '
             'order user session inventory shipping notify metrics queue storage proxy index report').split()

def log_lines(rng, formats, n):
    w = lambda: rng.choice(LOG_WORDS)
    subs = dict(
        ts=lambda: f'2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}Z',
        level=lambda: rng.choice(['ERROR', 'WARN', 'INFO', 'DEBUG', 'error', 'warn', 'info']),
        svc=lambda: rng.choice([f'{w()}-service', f'{w()}-{w()}', w(), f'{w()}-api', f'{w()}-{rng.randint(1, 9)}']),
        host=lambda: rng.choice([f'{w()}-{rng.randint(1, 40):02d}.internal', f'10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}',
                                 f'{w()}{rng.randint(1, 9)}', 'localhost']),
        port=lambda: str(rng.choice([5432, 6379, 8080, 9092, 443, 3306, rng.randint(1024, 65535)])),
        path=lambda: '/' + '/'.join(rng.choice(['var', 'lib', 'opt', 'data', 'log', 'tmp', 'srv'] + LOG_WORDS) for _ in range(rng.randint(2, 4))),
        status=lambda: str(rng.choice([400, 401, 403, 404, 409, 429, 500, 502, 503, 504])),
        exc=lambda: rng.choice(['NullPointerException', 'TimeoutException', 'IOException', 'KeyError', 'ValueError',
                                'OutOfMemoryError', 'SocketTimeoutException', 'IllegalStateException']),
        hex=lambda: '%08x' % rng.getrandbits(32), n=lambda: str(rng.randint(0, 999)),
        topic=lambda: f'{w()}-{w()}')
    return [re.sub(r'\{(\w+)\}', lambda m: subs[m.group(1)](), rng.choice(formats)) for _ in range(n)]

def gen_ner(templates, filler, n, rng, block=frozenset()):
    out, seen = [], set()
    while len(out) < n:
        text, ents = filler.fill(rng.choice(templates))
        if text in seen or len(text.split()) > 40 or any(text[e['start']:e['end']].lower() in block for e in ents):
            continue
        seen.add(text)
        out.append({'text': text, 'entities': ents})
    return out

# ---------------------------------------------------------------- sentiment
def vader_scores(texts, out_dir):
    node, npm = shutil.which('node'), shutil.which('npm')
    if not node or not npm:
        sys.exit('error: node and npm are needed for the VADER teacher (Debian: apt-get install nodejs npm)')
    inst = os.path.join(out_dir, 'vader-node')
    lock = open(os.path.join(HERE, 'package-lock.json'), 'rb').read()
    have = os.path.join(inst, 'package-lock.json')
    if not (os.path.isdir(os.path.join(inst, 'node_modules', 'vader-sentiment'))
            and os.path.exists(have) and open(have, 'rb').read() == lock):
        os.makedirs(inst, exist_ok=True)
        for f in ('package.json', 'package-lock.json'):
            shutil.copyfile(os.path.join(HERE, f), os.path.join(inst, f))
        log(f'npm ci --prefix {inst}')
        subprocess.run([npm, 'ci', '--prefix', inst, '--no-audit', '--no-fund', '--loglevel=error'], check=True)
    env = dict(os.environ, NODE_PATH=os.path.join(inst, 'node_modules'))
    payload = ''.join(json.dumps({'text': t}, ensure_ascii=False) + '\n' for t in texts)
    res = subprocess.run([node, os.path.join(HERE, 'vader_label.js')], input=payload.encode('utf-8'),
                         stdout=subprocess.PIPE, env=env, check=True)
    scores = [json.loads(l) for l in res.stdout.decode('utf-8').splitlines()]
    if len(scores) != len(texts):
        sys.exit(f'error: vader_label.js returned {len(scores)} scores for {len(texts)} texts')
    return scores

def label_of(compound):
    return 'positive' if compound >= 0.05 else 'negative' if compound <= -0.05 else 'neutral'

def split_sentiment(rows, n_train, n_test, seed):
    by = defaultdict(list)
    for r in rows:
        by[r['label']].append(r)
    train, test, pool = [], [], {}
    for i, lab in enumerate(('negative', 'neutral', 'positive')):
        items = by[lab]
        random.Random(f'{seed}-sentiment-{lab}').shuffle(items)
        q_test = n_test // 3 + (i < n_test % 3)
        q_train = n_train // 3 + (i < n_train % 3)
        test += items[:q_test]
        train += items[q_test:q_test + q_train]
        pool[lab] = len(items)
    random.Random(f'{seed}-sentiment-order').shuffle(train)
    random.Random(f'{seed}-sentiment-order-test').shuffle(test)
    return train, test, pool

# ---------------------------------------------------------------- main
def write_jsonl(path, rows):
    with open(path, 'w', encoding='utf-8', newline='\n') as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + '\n')
    log(f'wrote {len(rows)} lines to {path}')

def ner_stats(rows, neg_sources):
    per_type = Counter(e['type'] for r in rows for e in r['entities'])
    return {'sentences': len(rows), 'with_entities': sum(1 for r in rows if r['entities']),
            'without_entities': sum(1 for r in rows if not r['entities']), 'entities': sum(per_type.values()),
            'entities_per_type': {t: per_type[t] for t in TYPES}, 'negatives_per_source': dict(sorted(neg_sources.items())),
            'max_words': max(len(r['text'].split()) for r in rows)}

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--out', required=True)
    ap.add_argument('--seed', type=int, default=7)
    ap.add_argument('--ner-train', type=int, default=24000)
    ap.add_argument('--ner-test', type=int, default=2000)
    ap.add_argument('--sentiment-train', type=int, default=20000)
    ap.add_argument('--sentiment-test', type=int, default=2000)
    args = ap.parse_args()
    out, seed = os.path.abspath(args.out), args.seed
    os.makedirs(out, exist_ok=True)

    log('reading WordNet')
    wn = {pos: read_wn(pos) for pos in ('noun', 'verb', 'adj', 'adv')}
    gaz, wn_first, wn_last = wordnet_gazetteers(wn['noun'], wn['adj'])
    iso = iso_gazetteers()
    atoms = {'per_full': gaz['PER', 'full'], 'first': wn_first | set(HAND_FIRST), 'last': wn_last | set(HAND_LAST),
             'city': gaz['LOC', 'city'], 'country': gaz['LOC', 'country'] | iso['LOC', 'country'],
             'region': gaz['LOC', 'region'] | iso['LOC', 'region'], 'nature': gaz['LOC', 'nature'],
             'facility': gaz['LOC', 'facility'], 'org': gaz['ORG', 'org'], 'company': gaz['ORG', 'company'],
             'edu': gaz['ORG', 'edu'], 'nat': gaz['MISC', 'nat'], 'hist': gaz['MISC', 'hist'],
             'language': gaz['MISC', 'language'] | iso['MISC', 'language'], 'language_all': iso['MISC', 'language_all'],
             'event': gaz['MISC', 'event'], 'holiday': gaz['MISC', 'holiday'], 'work': gaz['MISC', 'work'],
             'brand': set(BRAND), 'dept': set(DEPTS)}
    pools = {sp: {k: sorted(s for s in v if in_test(seed, s) == (sp == 'test')) for k, v in atoms.items()}
             for sp in ('train', 'test')}
    for k, v in atoms.items():
        log(f'gazetteer {k:13s} {len(v):5d} (train {len(pools["train"][k])}, test {len(pools["test"][k])})')

    log('reading fortunes')
    entries = fortune_entries()
    fortune_sents = [s for e in entries for s in sentences(e)]
    wn_examples = wordnet_examples(wn)

    # ---- NER
    tpl = list(TEMPLATES)
    random.Random(f'{seed}-templates').shuffle(tpl)
    n_test_tpl = round(0.2 * len(tpl))
    templates = {'test': tpl[:n_test_tpl], 'train': tpl[n_test_tpl:]}
    for slot in SLOT_TYPE:  # make sure every slot kind also occurs in some held-out template
        if not any('{' + slot in t for t in templates['test']):
            t = next(t for t in templates['train'] if '{' + slot in t)
            templates['train'].remove(t)
            templates['test'].append(t)
    name_words = {s for k in atoms for s in atoms[k] if ' ' not in s} - {'I', 'A'}
    negs, seen = [], set()
    for src, texts in (('wordnet', wn_examples), ('fortunes', fortune_sents)):
        for t in texts:
            if negatives_ok(t, name_words) and norm(t) not in seen:
                seen.add(norm(t))
                negs.append((t, src))
    random.Random(f'{seed}-negatives').shuffle(negs)
    n_neg = {'train': round(0.25 * args.ner_train), 'test': round(0.25 * args.ner_test)}
    neg_split = {'test': negs[:n_neg['test']], 'train': negs[n_neg['test']:n_neg['test'] + n_neg['train']]}
    log(f'NER negatives: {len(negs)} candidates, using {n_neg}')
    for sp, formats, n in (('train', LOG_FORMATS[:9], args.ner_train), ('test', LOG_FORMATS[9:], args.ner_test)):
        neg_split[sp] += [(t, 'logs') for t in log_lines(random.Random(f'{seed}-logs-{sp}'), formats, round(0.05 * n))]
    log(f'NER log lines without entities: {round(0.05 * args.ner_train)} train, {round(0.05 * args.ner_test)} test')
    real = real_templates(wn_examples + fortune_sents, atoms)
    random.Random(f'{seed}-real').shuffle(real)
    n_real_test = round(0.15 * len(real))
    real_split = {'test': real[:n_real_test], 'train': real[n_real_test:]}
    log(f'NER real-sentence templates: {len(real)} (train {len(real_split["train"])}, test {n_real_test})')
    ner, block = {}, frozenset()
    for sp, n in (('train', args.ner_train), ('test', args.ner_test)):
        rng = random.Random(f'{seed}-ner-{sp}')
        filler = Filler(pools[sp], rng)
        n_real = min(round(0.3 * n), 3 * len(real_split[sp]))
        rows = gen_ner(real_split[sp], filler, n_real, rng, block)
        rows += gen_ner(templates[sp], filler, n - len(neg_split[sp]) - n_real, rng, block)
        rows += [{'text': t, 'entities': []} for t, _ in neg_split[sp]]
        rng.shuffle(rows)
        ner[sp] = rows
        if sp == 'train':
            block = frozenset(r['text'][e['start']:e['end']].lower() for r in rows for e in r['entities'])
        log(f'NER {sp}: {len(rows)} sentences')

    # ---- sentiment
    cands, seen = [], set()
    for src, texts in (('fortunes', entries), ('wordnet', wn_examples)):
        for t in texts:
            parts = [t] if len(t.split()) <= 40 else sentences(t)
            for p in parts:
                k = norm(p)
                if 3 <= len(p.split()) <= 40 and prose(p) and k and k not in seen:
                    seen.add(k)
                    cands.append((p, src))
    log(f'sentiment: scoring {len(cands)} texts with VADER')
    scores = vader_scores([t for t, _ in cands], out)
    rows = [{'text': t, 'label': label_of(s['compound']), 'compound': float(s['compound']), 'source': src}
            for (t, src), s in zip(cands, scores)]
    sent_train, sent_test, sent_pool = split_sentiment(rows, args.sentiment_train, args.sentiment_test, seed)

    # ---- checks
    ent = lambda rows: {r['text'][e['start']:e['end']].lower() for r in rows for e in r['entities']}
    tr_text, tr_norm = {r['text'] for r in ner['train']}, {norm(r['text']) for r in ner['train']}
    checks = {
        'ner_test_texts_equal_to_a_train_text': sum(r['text'] in tr_text for r in ner['test']),
        'ner_test_texts_equal_to_a_train_text_normalised': sum(norm(r['text']) in tr_norm for r in ner['test']),
        'ner_test_entity_strings_seen_as_train_entity_strings': len(ent(ner['test']) & ent(ner['train'])),
        'ner_templates_shared_by_train_and_test': len(set(templates['train']) & set(templates['test'])),
        'ner_real_sentence_templates_shared_by_train_and_test': len(set(real_split['train']) & set(real_split['test'])),
        'ner_negatives_shared_by_train_and_test': len({norm(t) for t, _ in neg_split['train']} & {norm(t) for t, _ in neg_split['test']}),
        'sentiment_test_texts_in_train_normalised': len({norm(r['text']) for r in sent_test} & {norm(r['text']) for r in sent_train}),
        'ner_spans_valid': all(0 <= e['start'] < e['end'] <= len(r['text']) and r['text'][e['start']:e['end']].strip() == r['text'][e['start']:e['end']]
                               and (i == 0 or r['entities'][i - 1]['end'] <= e['start'])
                               for sp in ner for r in ner[sp] for i, e in enumerate(r['entities'])),
    }
    passed = all(v is True or v == 0 for v in checks.values())
    checks['passed'] = passed

    for sp in ('train', 'test'):
        write_jsonl(os.path.join(out, f'ner-{sp}.jsonl'), ner[sp])
    write_jsonl(os.path.join(out, 'sentiment-train.jsonl'), sent_train)
    write_jsonl(os.path.join(out, 'sentiment-test.jsonl'), sent_test)
    sstats = lambda rows: {'texts': len(rows), 'per_label': dict(sorted(Counter(r['label'] for r in rows).items())),
                           'per_source': dict(sorted(Counter(r['source'] for r in rows).items()))}
    stats = {
        'generator': 'models/tools/starter/make_data.py', 'seed': seed, 'sources': SOURCES,
        'ner': {'train': ner_stats(ner['train'], Counter(s for _, s in neg_split['train'])),
                'test': ner_stats(ner['test'], Counter(s for _, s in neg_split['test'])),
                'templates': {'total': len(tpl), 'train': len(templates['train']), 'test': len(templates['test']),
                              'real_sentence_templates': {'total': len(real), 'train': len(real_split['train']), 'test': n_real_test},
                'test_slots': sorted({m for t in templates['test'] for m in re.findall(r'\{(\w+)', t) if m in SLOT_TYPE})},
                'gazetteers': {k: {'type': ATOM_TYPE[k], 'total': len(v), 'train': len(pools['train'][k]),
                                   'test': len(pools['test'][k])} for k, v in atoms.items()},
                'gazetteer_entries_per_type': {t: len(set().union(*(atoms[k] for k in atoms if ATOM_TYPE[k] == t))) for t in TYPES},
                'notes': ['machine log lines without entities (5% of each split) from 13 formats, 9 for train and '
                          '4 for test',
                          'real-sentence templates: WordNet examples and fortunes sentences whose every capitalised '
                          'word after the first lies in a gazetteer name of one entity type; the names become slots '
                          'refilled from the split\'s pools (up to 30% of each split, each template used up to 3 times)',
                          'demonyms (MISC nat) come from WordNet adjective pertainyms of country/region/city nouns',
                          'hand lists: modern first names and surnames, brand words, ministry names, pattern words',
                          'negatives: WordNet examples and fortunes sentences of 4-30 words with no capitalised word '
                          'after the first (the pronoun I and its contractions allowed), first word not a gazetteer name',
                          'surface forms split train/test by a seeded hash of the lower-cased string (15% test), '
                          'so a string in several lists is on the same side everywhere; 20% of templates held out']},
        'sentiment': {'train': sstats(sent_train), 'test': sstats(sent_test), 'candidates': len(rows),
                      'candidates_per_label': dict(sorted(sent_pool.items())),
                      'thresholds': 'compound >= 0.05 positive, <= -0.05 negative, else neutral'},
        'disjointness': checks,
    }
    with open(os.path.join(out, 'data-stats.json'), 'w', encoding='utf-8', newline='\n') as f:
        f.write(json.dumps(stats, indent=2, ensure_ascii=False, sort_keys=True) + '\n')
    log(f'wrote {out}/data-stats.json; disjointness checks {"passed" if passed else "FAILED"}')
    if not passed:
        sys.exit(1)

if __name__ == '__main__':
    main()
