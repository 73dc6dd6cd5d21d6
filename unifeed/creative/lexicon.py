"""Word lists for the judgement rules, per language, as regular expressions.

Each pattern names a kind of claim the ad platforms' policies refuse (a
promised outcome, a health or money effect, a sensitive attribute of the
viewer, an unverifiable superlative, a swear word). They are written from
those policies and the rules in docs/creative.md, not from the labelled set's
wording; `tests/creative` measures them on briefs kept out of their writing.
Patterns match case-folded text (`rules.fold`); `\b` is Unicode-aware.
"""

from __future__ import annotations

import re

__all__ = ["CLAIM_WORDS", "PATTERNS", "compiled"]

# Rule -> language -> patterns. "any" applies to every language.
PATTERNS: dict[str, dict[str, list[str]]] = {
    "guaranteed_results": {
        "en": [
            r"\bguarantee[sd]?\b",
            r"\b100 ?% (?:success|results?|satisfaction|fluent|effective)",
            r"\byou(?:'ll| will) (?:pass|be fluent|speak|get the job|land|finally|never|lose|"
            r"earn|see results|get results|ace|beat|hit|reach|win)\b",
            r"\b(?:be|become) fluent\b",
            r"\bfluent in \d+",
            r"\bpass (?:your|the|every) (?:exam|test|driving)",
            r"\bpersonal best\b",
            r"\bnever (?:again|get|be|burn|miss|worry)\b",
            r"\b(?:sure|certain) to (?:pass|win|work|get|succeed)\b",
            r"\bresults? (?:in|within) (?:days|weeks|\d+)",
            r"\bno matter what\b",
            r"\bwithout fail\b",
            r"\bpromise[sd]? (?:you|results?)\b",
            r"\bor your money back\b",
            r"\b(?:instant|overnight) results?\b",
            r"\b(?:cut|lower|reduce|slash) your (?:\w+ )?(?:bills?|costs?) by\b",
            r"\byour (?:\w+ )?(?:bills?|costs?) (?:will )?(?:drop|fall|shrink)\b",
        ],
        "fr": [
            r"\bgaranti(?:e|es|s|t)?\b",
            r"\bgarantir\b",
            r"\b(?:à coup sûr|assurément|sans faute)\b",
            r"\bréussite (?:assurée|garantie)\b",
            r"\bvous (?:allez|serez|réussirez|parlerez|décrocherez|trouverez)\b",
            r"\btu (?:vas|seras|réussiras|décrocheras|trouveras)\b",
            r"\b(?:décrochez|trouvez) (?:un|votre|ton) (?:emploi|job|poste)\b",
            r"\brésultats? (?:en|sous) \d+",
        ],
        "de": [
            r"\bgarantiert\b",
            r"\bgarantie\b",
            r"\b(?:bestehst|bestehen sie|schaffst) (?:du )?(?:sicher|garantiert)",
            r"\bsicher (?:bestehen|zum erfolg|bessere noten)\b",
            r"\b(?:bessere|beste) noten\b",
            r"\bwirst du\b",
            r"\bwerden sie (?:sicher|garantiert)\b",
            r"\bnie wieder\b",
            r"\berfolg (?:ist )?(?:sicher|garantiert)\b",
        ],
        "es": [
            r"\bgarantizad[oa]s?\b",
            r"\bgarantía\b",
            r"\bgarantiza(?:mos)?\b",
            r"\b(?:seguro que|asegurad[oa]|sin falta)\b",
            r"\b(?:conseguirás|lograrás|aprobarás|serás)\b",
            r"\bnunca más\b",
        ],
    },
    "health_claim": {
        "en": [
            r"\b(?:cures?|cured|curing|heals?|healing|remed(?:y|ies))\b",
            r"\btreats? (?:your |the )?(?:acne|pain|anxiety|insomnia|eczema|symptoms)",
            r"\bprevents?\b",
            r"\b(?:detox|cleanse|anti-ageing|anti-aging)\b",
            r"\b(?:lose|losing|shed|burn) (?:the |your |that )?(?:\w+ )?"
            r"(?:weight|pounds|kilos|fat)\b",
            r"\bweight[- ]loss\b",
            r"\bburns? (?:fat|calories)\b",
            r"\bboosts? (?:your )?(?:immun|metabolism|energy|mood|brain|health)",
            r"\bimmun(?:e|ity)\b",
            r"\b(?:anxiety|insomnia|depression|stress relief|relieves? stress|reduces? stress)\b",
            r"\b(?:sleep better|better sleep|deeper sleep|fall asleep|helps? you sleep)\b",
            r"\bprotects? (?:your )?(?:eyes|eyesight|vision|heart|joints|health|back|teeth|gums)",
            r"\beye ?strain\b",
            r"\b(?:back|joint|muscle) pain\b",
            r"\bpain[- ]free\b",
            r"\b(?:healthier|health benefits?|good for your (?:heart|health|body|skin|gut|brain))",
            r"\b(?:cholesterol|blood pressure|blood sugar|digestion|inflammation)\b",
            r"\bclinically\b",
            r"\bcalms? (?:your )?(?:mind|nerves)",
            r"\b(?:whiter|stronger|healthier) (?:teeth|bones|heart|skin)\b",
        ],
        "fr": [
            r"\b(?:guérit|guérir|soigne|soigner|traite|traiter|prévient|prévenir)\b",
            r"\b(?:minceur|maigrir|perdre du poids|perte de poids|brûle les graisses)\b",
            r"\b(?:détox|détoxifi\w*|anti-âge)\b",
            r"\b(?:anxiété|insomnie|dépression|stress)\b",
            r"\b(?:mieux dormir|sommeil réparateur|favorise le sommeil)\b",
            r"\b(?:bon pour (?:la santé|le cœur|le coeur|votre santé)|bienfaits? pour la santé)\b",
            r"\b(?:mal de dos|douleurs?|soulage\w*)\b",
            r"\bprotège (?:vos|votre|tes|ton|ta) (?:yeux|cœur|coeur|santé|dos|peau)\b",
            r"\bimmunit\w+\b",
            r"\bcholestérol\b",
        ],
        "de": [
            r"\b(?:heilt|heilen|lindert|lindern|beugt\b.{0,30}\bvor|vorbeug\w*)\b",
            r"\b(?:abnehmen|gewichtsverlust|fettverbrennung|entgiftet|entgiftung|detox)\b",
            r"\b(?:angst|stress|schlaflosigkeit|depression\w*|burnout)\b",
            r"\b(?:besser schlafen|gesünder\w*|gesundheit\w*|gesund)\b",
            r"\b(?:schmerz\w*|rückenschmerz\w*)\b",
            r"\bschont (?:den|deinen|ihren) (?:rücken|gelenke|körper)\b",
            r"\b(?:entlastet|schützt) (?:den|deinen|ihren|die) (?:rücken|gelenke|wirbelsäule)\b",
            r"\bimmunsystem\b",
        ],
        "es": [
            r"\b(?:cura|curar|sana|sanar|previene|prevenir|trata|tratar)\b",
            r"\b(?:adelgaza\w*|perder peso|pérdida de peso|quema grasa\w*)\b",
            r"\b(?:desintoxica\w*|detox)\b",
            r"\b(?:ansiedad|insomnio|depresión|estrés)\b",
            r"\b(?:colesterol|tensión arterial|presión arterial|corazón sano)\b",
            r"\b(?:bueno para (?:la salud|el corazón|tu salud)|saludable\w*|más sano)\b",
            r"\b(?:dolor\w*|alivia\w*)\b",
            r"\bprotege (?:tu|su|el) (?:corazón|salud|cuerpo)\b",
            r"\bsistema inmun\w+\b",
        ],
    },
    "financial_promise": {
        "en": [
            r"\b(?:earn|earning|make) (?:money|cash|£|\$|€|\d|extra|more|up to|a living)",
            r"\b(?:passive |extra |guaranteed )?income\b",
            r"\b(?:get rich|wealth|wealthy|rich quick|financial freedom)\b",
            r"\b(?:profit|profits|returns?)\b",
            r"\bpays? for itself\b",
            r"\bsave (?:£|\$|€|\d|hundreds|thousands|up to|money|on bills)",
            r"\bsaves? you (?:£|\$|€|\d|money|hundreds|thousands)",
            r"\b(?:debt[- ]free|out of debt|clear your debts?|wipe (?:out )?your debts?)",
            r"\b(?:sign[- ]up |cash |welcome )bonus\b",
            r"\bfree money\b",
            r"\bdouble your (?:money|savings)\b",
            r"\bgrow your (?:money|savings|wealth)\b",
            r"\b(?:lower|cut|halve) your (?:bills?|costs?|spending)\b",
            r"\bnever (?:run out|be broke|overdraw)",
            r"\b(?:retire (?:early|sooner|rich|years)|stop working|quit your job)\b",
            r"\b(?:get|climb|dig yourself) out of debt\b",
            r"\b(?:double|boost|raise|increase) your (?:salary|pay|income|earnings)\b",
        ],
        "fr": [
            r"\b(?:gagne[zr]?|gagnez) (?:de l'argent|\d|jusqu|plus)",
            r"\b(?:revenus?|rendements?|rentab\w*|profits?|bénéfices?)\b",
            r"\b(?:économise[zr]?|économies) (?:\d|jusqu|de l'argent|des centaines)",
            r"\b(?:s'enrichir|enrichissez|richesse|liberté financière)\b",
            r"\b(?:sans dettes?|fini les dettes)\b",
            r"\bprime de bienvenue\b",
            r"\brembours\w* (?:vos|tes) (?:dettes|crédits)\b",
            r"\b(?:salaire|gagnent (?:bien )?plus|gagner plus|sortir (?:de vos |des )?dettes)\b",
            r"\b(?:prendre|partir à) (?:sa |votre )?retraite (?:plus tôt|anticipée)\b",
        ],
        "de": [
            r"\b(?:verdien\w*|einkommen|rendite\w*|gewinn\w*|profit\w*)\b",
            r"\bspar(?:e|en|st|t)? (?:sie )?(?:\d|bis zu|hunderte|tausende|geld)",
            r"\b(?:reich werden|reichtum|finanzielle freiheit|schuldenfrei)\b",
            r"\b(?:bonus|prämie|startguthaben)\b",
            r"\bzahlt sich (?:selbst|von selbst) aus\b",
            r"\b(?:gehalt|mehr verdienen|raus aus den schulden|früher in rente)\b",
        ],
        "es": [
            r"\b(?:gana|ganar|ganarás)\s+(?:dinero|\d|hasta|más)",
            r"\b(?:ingresos|rentabilidad|rendimientos?|beneficios|ganancias)\b",
            r"\b(?:ahorra(?:r|s|rás)?)\s+(?:\d|hasta|dinero|cientos|miles)",
            r"\b(?:hacerte rico|riqueza|libertad financiera|sin deudas|adiós a las deudas)\b",
            r"\b(?:bono|bonificación|regalo) de bienvenida\b",
            r"\bse paga sol[ao]\b",
            r"\b(?:sal|salir|salga) de (?:las |tus |sus )?deudas\b",
            r"\b(?:lo que debes|sueldo|salario|jubílate antes)\b",
        ],
    },
    # A sensitive attribute (health, body, age, money trouble, disability) put
    # to the viewer: second person shortly before a sensitive word, or a
    # question that names one ("Au chômage depuis trop longtemps ?").
    "personal_attributes": {
        lang: [
            rf"\b(?:{you})\b[^.?!]{{0,40}}\b(?:{words})\b",
            rf"(?:^|[.!?¿]\s*)[^.!?¿\n]{{0,40}}\b(?:{words})\b[^.!?\n]{{0,40}}\?",
            *extra,
        ]
        for lang, (you, words, extra) in {
            "en": (
                r"are you|you're|you are|feeling|tired of being|struggling with|suffer(?:ing)? "
                r"from|your|yours|know you|do you|can't you",
                r"debts?|in debt|broke|overweight|obese|fat|too heavy|acne|spots|wrinkles|"
                r"anxious|anxiety|depressed|depression|diabetic|diabetes|disabled|disability|"
                r"bald|balding|hair loss|bad credit|unemployed|out of work|low income|lonely|"
                r"divorced|pregnant|stained teeth|crooked teeth|yellow teeth|bad breath|"
                r"dentures|sensitive teeth|insomnia|can't sleep|sleeping badly|trouble sleeping|"
                r"over \d+|in your \d+s|elderly|failing|falling behind|out of shape|unfit",
                [
                    r"\b(?:over[- ](?:40|50|60|70)s|in your (?:40|50|60|70)s|in your "
                    r"(?:forties|fifties|sixties|seventies))\b",
                    r"\b(?:fat|body|weight|belly|skin|teeth|smile) you (?:hate|are ashamed of)\b",
                    r"\bembarrassed (?:by|about) your\b",
                ],
            ),
            "fr": (
                r"vous êtes|êtes-vous|tu es|es-tu|vos|votre|ton|ta|tes|vous|tu",
                r"endetté\w*|dettes?|surpoids|obèse|trop gros\w*|acné|rides|anxieu\w*|"
                r"dépressi\w*|diabéti\w*|handicap\w*|au chômage|chômeur\w*|fauché\w*|calvitie|"
                r"en échec|dents jaunes|mauvaise haleine|dormez mal|dors mal|insomnie\w*|"
                r"souffrez|souffres",
                [r"\b(?:plus de|après) (?:40|50|60) ans\b"],
            ),
            "de": (
                r"sind sie|bist du|sie sind|du bist|ihr|ihre|ihren|dein|deine|deinen|sie|du",
                r"verschuldet|schulden|übergewicht\w*|zu dick|akne|falten|ängstlich|depressiv|"
                r"diabetiker\w*|behindert\w*|arbeitslos\w*|pleite|einsam|glatze|haarausfall|"
                r"sitzengeblieben|versetzung gefährdet|schlechte noten|schläfst schlecht|"
                r"schlafen schlecht|leiden|leidest",
                [r"\b(?:über|ab) (?:40|50|60) jahre?n?\b"],
            ),
            "es": (
                r"estás|eres|tienes|tu|tus|su|sus|te",
                r"endeudad\w*|deudas?|sobrepeso|obes\w*|acné|arrugas|ansios\w*|deprimid\w*|"
                r"diabétic\w*|discapaci\w*|en paro|desemplead\w*|sin blanca|arruinad\w*|"
                r"calvicie|mal aliento|duermes mal|sufres|padeces",
                [r"\b(?:más de|mayor de) (?:40|50|60) años\b"],
            ),
        }.items()
    },
    # Unverifiable superlatives and popularity: always unsupported unless the
    # brief states them (checked word by word in review).
    "unsupported_claim": {
        "en": [
            r"\b(?:best|bestselling|best-selling|bestseller|top-rated|highest-rated|"
            r"award-winning|award|awards|leading|number one|no\. ?1|#1|favourite|favorite|"
            r"most popular|most loved|world-class|unbeatable|unrivalled|unmatched|"
            r"cheapest|lowest|fastest|lightest|strongest|warmest|safest|greenest|freshest|"
            r"thousands|millions|hundreds|everyone|everybody|all of us|loved by|trusted by|"
            r"rated|five-star|5-star|recommended|endorsed|certified|official|proven|"
            r"same-day|same day|lifetime|unlimited|forever|organic|handmade|hand-picked|"
            r"locally sourced|sustainabl\w*|eco-friendly|carbon[- ]neutral|biodegradable|"
            r"vegan|waterproof|cheaper|faster|lighter|better than)\b",
            r"\bmore than [^\W\d]+ (?:customers|people|users|members|readers|runners)\b",
        ],
        "fr": [
            r"\b(?:meilleur\w*|n°\s?1|numéro 1|numéro un|leader|primé\w*|récompensé\w*|"
            r"des milliers|des millions|tout le monde|préféré\w*|incontournable|"
            r"le plus \w+|la plus \w+|moins cher|imbattable|bio|artisanal\w*|fait main|"
            r"recommandé\w*|certifié\w*|officiel\w*|prouvé\w*|à vie|illimité\w*|"
            r"livraison le jour même|écologique|durable)\b",
        ],
        "de": [
            r"\b(?:beste\w*|bestseller|testsieger|nr\. ?1|nummer 1|nummer eins|führend\w*|"
            r"preisgekrönt\w*|ausgezeichnet\w*|tausende|millionen|jeder|alle lieben|"
            r"beliebteste\w*|meistverkauft\w*|günstigste\w*|leichteste\w*|schnellste\w*|"
            r"unschlagbar|empfohlen|zertifiziert\w*|offiziell\w*|bewährt\w*|lebenslang\w*|"
            r"unbegrenzt\w*|bio|handgemacht\w*|nachhaltig\w*|klimaneutral\w*|"
            r"wasserdicht\w*|am selben tag)\b",
        ],
        "es": [
            r"\b(?:mejor|mejores|número 1|número uno|nº ?1|líder\w*|premiad\w*|galardonad\w*|"
            r"miles de|millones de|todo el mundo|favorit\w*|más vendid\w*|el más \w+|"
            r"la más \w+|más barat\w*|imbatible|ecológic\w*|artesanal\w*|hecho a mano|"
            r"recomendad\w*|certificad\w*|oficial|probad\w*|de por vida|ilimitad\w*|"
            r"en el mismo día|sostenible)\b",
        ],
    },
    "profanity": {
        "any": [
            r"\b(?:fuck\w*|shit\w*|bullshit|bitch\w*|bastard\w*|asshole\w*|arsehole\w*|"
            r"dickhead\w*|wank\w*|twat\w*|cunt\w*|piss\w*|bollocks|crap|crappy|damn|goddamn|"
            r"motherf\w*|wtf|stfu)\b",
            r"\bass\b",
            r"\bthe shit\b",
            # A masked word (f*ck, sh!t, b@stard) is a swear word whatever it hides.
            r"\b\w+[*#@$%]+\w*\b|\b\w+[*#@$%]{2,}",
        ],
        "fr": [
            r"\b(?:merde\w*|putain\w*|connard\w*|connasse\w*|con|cons|conne|bordel|chier|"
            r"emmerd\w*|foutre|fout|salope\w*|enculé\w*|nique\w*|bite)\b",
        ],
        "de": [
            r"\b(?:scheiß\w*|scheiss\w*|scheiße|arsch\w*|verdammt\w*|fick\w*|wichser\w*|"
            r"kacke|schlampe\w*|mist|geil\w*|fotze\w*|hure\w*|drecks\w*)\b",
        ],
        "es": [
            r"\b(?:mierda\w*|joder|jodid\w*|coño|puta\w*|puto\w*|cabrón\w*|cabrona\w*|"
            r"gilipollas|hostia\w*|carajo|cojones|cojonud\w*|pendej\w*|chingad\w*|"
            r"chingar|culo)\b",
        ],
    },
}

# The unsupported-claim words that a brief may state itself ("free", "organic"):
# a match is a claim only when its words are not in the brief.
CLAIM_WORDS = "unsupported_claim"

_CACHE: dict[tuple[str, str], list[re.Pattern[str]]] = {}


def compiled(rule: str, language: str) -> list[re.Pattern[str]]:
    """The rule's patterns for an ad in `language` (plus those for any language)."""
    key = (rule, language)
    if key not in _CACHE:
        by_lang = PATTERNS.get(rule, {})
        raw = by_lang.get("any", []) + by_lang.get(language, [])
        _CACHE[key] = [re.compile(p) for p in raw]
    return _CACHE[key]
