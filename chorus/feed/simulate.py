"""Simulated organisations for the feed's offline evaluation (seeded, reproducible).

What is hidden and what the ranker sees:

- Each person has **hidden interests** (a mix over topics), 60% from their team's interests
  and 40% their own, and a hidden activity level. The ranker never sees them: it sees the
  **declared topics**, a noisy view (each of the three strongest interests is declared with
  probability 0.6, a random topic with 0.3, and 15% declare nothing), and past behaviour.
- Teams sit mostly on one site (80% of members), so team and site audiences overlap;
  each team has an audience persona that most of its members reach.
- Sites set languages: Paris and Lyon speak French (some English too), London and Berlin
  English (few French), Montréal both. Items are English (55%) or French (45%), with texts
  drawn from per-topic vocabularies in each language, including inflected forms.
- **Behaviour model.** The propensity of person p to share item i is
  ``sigmoid(-5 + 9*match + quality_i + campaign + kind affinities + log(activity_p) + noise)``
  where match is the overlap of hidden interests with the item's topic mix, quality is a
  hidden per-item effect, campaigns add ``0.25*priority`` (less when the person is outside
  the campaign's targets), kind affinities are hidden tables (kind x persona, kind x
  network), noise is per pair; times 0.03 if the person does not read the item's language.
  If they share, they do so at ``published_at + Exponential(shelf life)``, the shelf life
  depending on the kind (2 days for an article, up to 14 for a report, `SHELF_LIFE_DAYS`):
  before `now` it is a past (train) share, within `test_days` after `now` a held-out one.
  Clicks follow ``2*propensity``, dismissals ("not for me") come from low-match items.

`share_probability` rebuilds the hidden propensities from the seed recorded in
`Dataset.hidden`, for the evaluation's expected reach; the ranker never calls it.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import numpy as np

from chorus.feed.dataset import Dataset
from chorus.feed.engine import Interaction, Item, Person

DEFAULT_NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
# Mean delay between publication and a share, per kind: news fades in days, a job offer or
# a report stays worth sharing for weeks.
SHELF_LIFE_DAYS = {"article": 2.0, "video": 3.0, "event": 5.0, "product": 10.0, "job": 12.0,
                   "report": 14.0}  # fmt: skip

# topic: (English words, French words); several inflected forms on purpose.
VOCABULARY: dict[str, tuple[str, str]] = {
    "Cloud": (
        "cloud clouds migration migrate migrating kubernetes cluster clusters serverless hosting "
        "infrastructure scalable scaling containers",
        "cloud nuage nuages migration migrer migrons kubernetes cluster hébergement "
        "infrastructure infrastructures évolutive conteneurs serveurs",
    ),
    "Security": (
        "security cybersecurity secure securing breach breaches ransomware phishing encryption "
        "encrypted threat threats vulnerability",
        "sécurité cybersécurité sécuriser sécurisé faille failles rançongiciel hameçonnage "
        "chiffrement chiffré menace menaces vulnérabilité",
    ),
    "AI": (
        "artificial intelligence machine learning model models neural generative automation "
        "automated algorithms prediction",
        "intelligence artificielle apprentissage automatique modèle modèles neuronal génératif "
        "automatisation automatisé algorithmes prédiction",
    ),
    "Hiring": (
        "hiring hire hires recruiting recruitment careers career job jobs talent talents "
        "internship graduates interview",
        "recrutement recruter recrutons carrière carrières emploi emplois talent talents "
        "stage stagiaires alternance entretien",
    ),
    "Sustainability": (
        "sustainability sustainable climate carbon emissions renewable energy green footprint "
        "recycling biodiversity",
        "durabilité durable climat carbone émissions renouvelable énergie verte empreinte "
        "recyclage biodiversité",
    ),
    "Customers": (
        "customer customers client clients success story stories testimonial satisfaction "
        "experience retail",
        "client clients clientèle réussite témoignage témoignages satisfaction expérience "
        "commerce distribution",
    ),
    "Product": (
        "product products launch launches feature features release roadmap update updates "
        "dashboard mobile",
        "produit produits lancement lance fonctionnalité fonctionnalités version feuille "
        "route tableau mobile",
    ),
    "Events": (
        "event events conference conferences webinar webinars summit meetup booth keynote register",
        "événement événements conférence conférences webinaire salon rencontre stand "
        "plénière inscription",
    ),
    "Finance": (
        "finance financial results revenue growth quarter quarterly investors earnings funding",
        "finance financier financiers résultats chiffre affaires croissance trimestre "
        "trimestriel investisseurs levée",
    ),
    "Diversity": (
        "diversity inclusion inclusive equality women gender accessibility disability belonging",
        "diversité inclusion inclusif égalité femmes genre accessibilité handicap appartenance",
    ),
    "Research": (
        "research researchers study studies paper papers laboratory lab science scientific "
        "patent innovation",
        "recherche chercheurs étude études publication publications laboratoire science "
        "scientifique brevet innovation",
    ),
    "Partners": (
        "partner partners partnership partnerships alliance ecosystem integration "
        "integrations reseller",
        "partenaire partenaires partenariat partenariats alliance écosystème intégration "
        "intégrations revendeur",
    ),
}
GENERIC = {
    "en": [
        "today",
        "team",
        "teams",
        "company",
        "announce",
        "announces",
        "proud",
        "share",
        "week",
        "year",
        "people",
        "world",
        "best",
        "way",
        "together",
        "look",
        "read",
        "discover",
    ],
    "fr": [
        "aujourd'hui",
        "équipe",
        "équipes",
        "entreprise",
        "annonce",
        "annonçons",
        "fiers",
        "partager",
        "semaine",
        "année",
        "monde",
        "meilleur",
        "façon",
        "ensemble",
        "découvrez",
        "lire",
    ],
}
SITES = {  # site: (always spoken, sometimes spoken, probability)
    "Paris": (["fr"], "en", 0.5),
    "Lyon": (["fr"], "en", 0.3),
    "London": (["en"], "fr", 0.15),
    "Berlin": (["en"], "fr", 0.05),
    "Montréal": (["fr", "en"], "", 0.0),
}
NETWORKS = {"linkedin": 0.9, "x": 0.35, "bluesky": 0.15, "mastodon": 0.1, "facebook": 0.2}
PERSONAS = ["developers", "it-buyers", "candidates", "customers", "partners", "investors", "press"]
KINDS = {"article": 0.4, "video": 0.15, "job": 0.15, "event": 0.1, "product": 0.1, "report": 0.1}


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


class _World:
    """The hidden state of a simulated organisation, regenerated from its seed."""

    def __init__(self, seed: int, people: int, items: int, now: datetime, days: float,
                 test_days: float):  # fmt: skip
        self.seed, self.now, self.days, self.test_days = seed, now, days, test_days
        rng = np.random.default_rng(seed)
        self.topics = list(VOCABULARY)
        n_topics = len(self.topics)
        n_teams = max(2, people // 15)
        site_names = list(SITES)
        team_site = rng.integers(len(site_names), size=n_teams)
        team_bias = rng.dirichlet(np.full(n_topics, 0.25), size=n_teams)
        team_persona = rng.integers(len(PERSONAS), size=n_teams)

        # People
        self.team = rng.integers(n_teams, size=people)
        home = rng.random(people) < 0.8
        self.site = np.where(home, team_site[self.team], rng.integers(len(site_names), size=people))
        self.interest = 0.6 * team_bias[self.team] + 0.4 * rng.dirichlet(
            np.full(n_topics, 0.3), size=people
        )
        self.activity = rng.lognormal(0.0, 0.8, size=people)
        self.people: list[Person] = []
        network_names = list(NETWORKS)
        self.networks = np.zeros((people, len(network_names)), dtype=bool)
        self.personas = np.zeros((people, len(PERSONAS)), dtype=bool)
        for n in range(people):
            always, sometimes, chance = SITES[site_names[self.site[n]]]
            languages = list(always) + ([sometimes] if sometimes and rng.random() < chance else [])
            declared: list[str] = []
            if rng.random() >= 0.15:
                for topic in np.argsort(-self.interest[n])[:3]:
                    if rng.random() < 0.6:
                        declared.append(self.topics[topic])
                if rng.random() < 0.3:
                    declared.append(self.topics[rng.integers(n_topics)])
            self.networks[n] = [rng.random() < p for p in NETWORKS.values()]
            if not self.networks[n].any():
                self.networks[n, 0] = True
            self.personas[n, team_persona[self.team[n]]] = rng.random() < 0.85
            self.personas[n] |= rng.random(len(PERSONAS)) < 0.12
            self.people.append(
                Person(
                    id=f"p{n:05d}",
                    team=f"team-{self.team[n]:03d}",
                    site=site_names[self.site[n]],
                    languages=languages,
                    topics=sorted(set(declared)),
                    networks=[network_names[j] for j in np.flatnonzero(self.networks[n])],
                    audience=[PERSONAS[j] for j in np.flatnonzero(self.personas[n])],
                    audience_size=int(rng.lognormal(math.log(300), 0.7)),
                )
            )
        self.speaks = np.array(
            [[lang in p.languages for lang in ("en", "fr")] for p in self.people], dtype=bool
        )

        # Items
        kind_names = list(KINDS)
        self.mix = np.zeros((items, n_topics))
        self.item_language = (rng.random(items) < 0.45).astype(int)  # 0 en, 1 fr
        self.age_days = rng.uniform(0, days, size=items)
        self.kind = rng.choice(len(kind_names), size=items, p=list(KINDS.values()))
        self.shelf_life = np.array([SHELF_LIFE_DAYS[kind_names[k]] for k in self.kind])
        self.quality = rng.normal(0.0, 0.5, size=items)
        self.priority = np.where(rng.random(items) < 0.25, rng.integers(1, 6, size=items), 0)
        self.targeted_teams: list[set[int]] = []
        self.items: list[Item] = []
        for i in range(items):
            main = int(rng.integers(n_topics))
            topics = [main]
            self.mix[i, main] = 1.0
            if rng.random() < 0.4:
                second = int(rng.integers(n_topics))
                if second != main:
                    topics.append(second)
                    self.mix[i] = 0.0
                    self.mix[i, main], self.mix[i, second] = 0.7, 0.3
            targets: set[int] = set()
            if self.priority[i] and rng.random() < 0.4:
                # A programme manager targets the teams most into the topic.
                targets = {int(t) for t in np.argsort(-team_bias[:, main])[: rng.integers(1, 4)]}
            self.targeted_teams.append(targets)
            language = ("en", "fr")[self.item_language[i]]
            title, summary = self._text(rng, topics, language)
            self.items.append(
                Item(
                    id=f"i{i:05d}",
                    title=title,
                    summary=summary,
                    language=language,
                    topics=[self.topics[t] for t in topics],
                    published_at=now - timedelta(days=float(self.age_days[i])),
                    campaign_priority=int(self.priority[i]),
                    kind=kind_names[self.kind[i]],
                    campaign_teams=sorted(f"team-{t:03d}" for t in targets),
                )
            )
        self.team_targeted = np.ones((n_teams, items), dtype=bool)
        for i, targets in enumerate(self.targeted_teams):
            if targets:
                self.team_targeted[:, i] = False
                self.team_targeted[sorted(targets), i] = True
        self.kind_persona = rng.normal(0.0, 0.5, size=(len(kind_names), len(PERSONAS)))
        self.kind_network = rng.normal(0.0, 0.4, size=(len(kind_names), len(network_names)))

    def _text(self, rng: np.random.Generator, topics: list[int], language: str) -> tuple[str, str]:
        column = 0 if language == "en" else 1
        pools = [VOCABULARY[self.topics[t]][column].split() for t in topics]

        def sentence(length: int) -> str:
            chosen = []
            for _ in range(length):
                draw = rng.random()
                if draw < 0.3:
                    chosen.append(GENERIC[language][rng.integers(len(GENERIC[language]))])
                else:
                    pool = pools[0] if len(pools) == 1 or draw < 0.8 else pools[1]
                    chosen.append(pool[rng.integers(len(pool))])
            return " ".join(chosen)

        title = sentence(int(rng.integers(5, 9)))
        return title[:1].upper() + title[1:], sentence(int(rng.integers(15, 26))) + "."

    def propensity(self, rows: slice) -> np.ndarray:
        """Hidden probability that each person in `rows` shares each item, if they see it."""
        people = range(len(self.people))[rows]
        match = self.interest[rows] @ self.mix.T
        targeted = self.team_targeted[self.team[rows]]
        campaign = 0.25 * self.priority[None, :] * np.where(targeted, 1.0, 0.3)
        personas = self.personas[rows].astype(float)
        networks = self.networks[rows].astype(float)
        kind_fit = (personas @ self.kind_persona.T) / np.maximum(personas.sum(1, keepdims=True), 1)
        kind_fit += (networks @ self.kind_network.T) / np.maximum(networks.sum(1, keepdims=True), 1)
        # Per-person streams, so any slicing of people draws the same noise.
        noise = np.stack([
            np.random.default_rng([self.seed, 7, p]).normal(0.0, 0.6, size=len(self.items))
            for p in people
        ])  # fmt: skip
        logit = (
            -5.0
            + 9.0 * match
            + self.quality[None, :]
            + campaign
            + kind_fit[:, self.kind]
            + np.log(self.activity[rows])[:, None]
            + noise
        )
        reads = self.speaks[rows][:, self.item_language]
        return _sigmoid(logit) * np.where(reads, 1.0, 0.03)

    def window_probability(self) -> np.ndarray:
        """Probability that a share, if it happens, falls in the held-out window (per item)."""
        age, window, life = self.age_days, self.test_days, self.shelf_life
        return np.exp(-age / life) - np.exp(-(age + window) / life)

    def match(self, rows: slice) -> np.ndarray:
        return self.interest[rows] @ self.mix.T


def generate(
    seed: int = 1,
    people: int = 300,
    items: int = 400,
    *,
    now: datetime = DEFAULT_NOW,
    days: float = 60.0,
    test_days: float = 7.0,
    block: int = 1000,
) -> Dataset:
    """Generate a simulated organisation with past (train) and held-out (test) interactions."""
    world = _World(seed, people, items, now, days, test_days)
    rng = np.random.default_rng([seed, 11])
    published = np.array([i.published_at.timestamp() for i in world.items])
    end_ts = (now + timedelta(days=test_days)).timestamp()
    day = 86400.0
    interactions: list[Interaction] = []
    dismiss_rate = rng.lognormal(math.log(0.03), 0.5, size=people)

    def emit(person_rows: np.ndarray, item_cols: np.ndarray, times: np.ndarray, kind: str) -> None:
        keep = times <= end_ts
        for p, i, t in zip(person_rows[keep], item_cols[keep], times[keep], strict=True):
            interactions.append(Interaction(
                world.people[p].id, world.items[i].id, kind, datetime.fromtimestamp(t, UTC)
            ))  # fmt: skip

    for start in range(0, people, block):
        rows = slice(start, min(people, start + block))
        propensity = world.propensity(rows)
        shape = propensity.shape
        shared = rng.random(shape) < propensity
        delay = world.shelf_life[None, :] * day
        share_time = published[None, :] + rng.exponential(1.0, size=shape) * delay
        clicked = (rng.random(shape) < np.minimum(1.0, 2.0 * propensity)) & ~shared
        click_time = published[None, :] + rng.exponential(1.0, size=shape) * delay
        match = world.match(rows)
        low_interest = 1.0 - match / max(match.max(), 1e-9)
        dismissed = (rng.random(shape) < dismiss_rate[rows, None] * low_interest) & ~shared
        dismissed &= ~clicked
        dismiss_time = published[None, :] + rng.exponential(1.0 * day, size=shape)
        for mask, times, kind in (
            (shared, share_time, "share"),
            (clicked, click_time, "click"),
            (dismissed, dismiss_time, "dismiss"),
        ):
            p, i = np.nonzero(mask)
            emit(p + start, i, times[p, i], kind)
    interactions.sort(key=lambda x: (x.at, x.person, x.item))
    hidden = {
        "simulator": "chorus.feed.simulate",
        "seed": seed,
        "people": people,
        "items": items,
        "now": now.isoformat(),
        "days": days,
        "test_days": test_days,
    }
    return Dataset(world.people, world.items, interactions, now, hidden)


def share_probability(dataset: Dataset) -> np.ndarray | None:
    """Hidden P(person shares item within the held-out window if it is suggested now).

    Rows follow `dataset.people`, columns `dataset.items`. None when the dataset was not
    made by this simulator. It is the propensity times the chance the share falls in the
    window given the item's age (an approximation that ignores what already happened).
    """
    hidden = dataset.hidden
    if not hidden or hidden.get("simulator") != "chorus.feed.simulate":
        return None
    world = _World(
        int(hidden["seed"]),
        int(hidden["people"]),
        int(hidden["items"]),
        datetime.fromisoformat(hidden["now"]),
        float(hidden["days"]),
        float(hidden["test_days"]),
    )
    probability = world.propensity(slice(0, len(world.people))) * world.window_probability()
    people = {p.id: n for n, p in enumerate(world.people)}
    items = {i.id: n for n, i in enumerate(world.items)}
    return probability[
        np.ix_([people[p.id] for p in dataset.people], [items[i.id] for i in dataset.items])
    ]
