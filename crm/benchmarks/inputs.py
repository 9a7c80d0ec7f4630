"""What the benchmark types and opens: real values taken from the data, the worst of them on purpose.

A median over random inputs hides what users complain about, so each kind of input mixes
random samples with the known hard cases:

- name fragments: random 4-letter pieces of real names, the most common 3- and 4-letter
  pieces (tens of thousands of matches), pieces common in other branches but absent from
  the user's own (the planner expects matches it never finds), two-word queries;
- phone input: the last 4 digits of real numbers, and operator prefixes ("0812": a fifth
  of all customers);
- plates: real plates typed as stored, without spaces, lower-cased, and partly;
- 360 pages: random customers and the ones with the longest history.
"""

from __future__ import annotations

import random
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.db import connection

from accounts.models import User
from crm.models import Asset, Customer

WORD = re.compile(r"[a-z]{4,}")
PHONE_PREFIXES = ["0812", "0813", "0821", "0857", "0878", "+62 812", "0812 3", "62819"]
NAMED_FRAGMENTS = ["salo", "arma"]  # the two cases of issue 7


@dataclass
class Typed:
    """One input and why it is in the set (shown next to the worst times)."""

    text: str
    why: str


@dataclass
class UserInputs:
    name_queries: list[Typed] = field(default_factory=list)
    phone_queries: list[Typed] = field(default_factory=list)
    plate_queries: list[Typed] = field(default_factory=list)
    customers: list[Typed] = field(default_factory=list)  # public ids for the 360 page


def _sample_names(percent: float, seed: int) -> list[tuple[int, str]]:
    """(branch_id, lower-cased name) of a block sample of the customers: fast at any size."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT branch_id, lower(name) FROM crm_customer TABLESAMPLE SYSTEM ({percent:.3f}) REPEATABLE (%s)",
            [seed],
        )
        return cursor.fetchall()


def _grams(names: list[tuple[int, str]], n: int) -> dict[str, Counter]:
    """n-letter pieces of the names' words, counted per branch."""
    counts: dict[str, Counter] = defaultdict(Counter)
    for branch_id, name in names:
        seen = set()
        for word in WORD.findall(name):
            for i in range(len(word) - n + 1):
                seen.add(word[i:i + n])
        for gram in seen:
            counts[gram][branch_id] += 1
    return counts


def _count_in_scope(user: User, fragment: str) -> int:
    return Customer.objects.visible_to(user).filter(search_text__contains=fragment).count()


class InputSampler:
    """Inputs for each user, from one sample of the data (seeded: reruns type the same things)."""

    def __init__(self, *, seed: int = 7, sample_rows: int = 60_000):
        self.rng = random.Random(seed)
        total = max(Customer.objects.order_by("-id").values_list("id", flat=True).first() or 0, 1)
        self.names = _sample_names(min(100.0, 100.0 * sample_rows / total), seed)
        self.grams4 = _grams(self.names, 4)
        self.grams3 = _grams(self.names, 3)

    def for_user(self, user: User, *, names: int, phones: int, plates: int, customers: int) -> UserInputs:
        rng = random.Random(f"{user.email}-{len(self.names)}")
        out = UserInputs()
        scope = Customer.objects.visible_to(user)

        # Name fragments: random pieces, the most common, zero-in-my-branch, two words, the named ones.
        rows = [name for branch_id, name in self.names
                if user.sees_all_branches or branch_id == user.branch_id]
        picked = rng.sample(rows, min(len(rows), names))
        for name in picked[: names // 2]:
            words = WORD.findall(name)
            if words:
                word = rng.choice(words)
                start = rng.randint(0, len(word) - 4)
                out.name_queries.append(Typed(word[start:start + 4], "random piece of a name"))
        for name in picked[names // 2: names // 2 + names // 10]:
            words = WORD.findall(name)
            if len(words) >= 2:
                out.name_queries.append(Typed(f"{words[0][:4]} {words[1][:4]}", "two words"))
        total4 = Counter({g: sum(c.values()) for g, c in self.grams4.items()})
        total3 = Counter({g: sum(c.values()) for g, c in self.grams3.items()})
        out.name_queries += [Typed(g, "most common 4 letters") for g, _ in total4.most_common(names // 8)]
        out.name_queries += [Typed(g, "most common 3 letters") for g, _ in total3.most_common(names // 16)]
        out.name_queries += [Typed(f, "issue 7") for f in NAMED_FRAGMENTS]
        if not user.sees_all_branches:
            out.name_queries += self._zero_in_branch(user, limit=names // 3)
        else:
            # Head office sees every branch: its hard case is a fragment with few matches, all old.
            rare = [g for g, n in total4.items() if n == 1]
            out.name_queries += [Typed(g, "rare piece") for g in rng.sample(rare, min(len(rare), names // 8))]
        rng.shuffle(out.name_queries)

        # Phone input: last 4 digits of real numbers, and operator prefixes.
        ids = self._random_ids(scope, phones * 3, rng)
        numbers = list(scope.filter(id__in=ids).exclude(phone="").values_list("phone", flat=True)[:phones])
        out.phone_queries = [Typed(p[-4:], "last 4 digits") for p in numbers]
        out.phone_queries += [Typed(p, "operator prefix") for p in PHONE_PREFIXES]
        rng.shuffle(out.phone_queries)

        # Plates of the user's customers, typed four ways.
        plate_rows = self._random_plates(user, plates, rng)
        for plate in plate_rows:
            bare = plate.replace(" ", "")
            out.plate_queries += [Typed(plate, "plate as stored"), Typed(bare, "plate without spaces"),
                                  Typed(plate.lower(), "plate lower-cased")]
            out.plate_queries.append(Typed(" ".join(plate.split()[:2]), "plate, letters and digits"))
        rng.shuffle(out.plate_queries)

        # 360 pages: random customers, and the longest histories (the worst 360 pages).
        ids = self._random_ids(scope, customers * 3, rng)
        out.customers = [Typed(str(pid), "random customer")
                         for pid in scope.filter(id__in=ids).values_list("public_id", flat=True)[:customers]]
        out.customers += [Typed(str(pid), "longest history") for pid in self._heaviest(user, 5)]
        return out

    def _zero_in_branch(self, user: User, *, limit: int) -> list[Typed]:
        """Fragments common in other branches but absent from the user's: checked exactly."""
        candidates = sorted(
            ((sum(c.values()), g) for g, c in self.grams4.items() if c[user.branch_id] == 0),
            reverse=True,
        )
        found = []
        for _n, gram in candidates[: limit * 3]:
            if _count_in_scope(user, gram) == 0:
                found.append(Typed(gram, "none in my branch, many elsewhere"))
                if len(found) == limit:
                    break
        return found

    @staticmethod
    def _random_ids(scope, n: int, rng: random.Random) -> list[int]:
        bounds = scope.order_by("id").values_list("id", flat=True)
        low = bounds.first() or 0
        high = scope.order_by("-id").values_list("id", flat=True).first() or 0
        return [rng.randint(low, high) for _ in range(n)] if high else []

    @staticmethod
    def _random_plates(user: User, n: int, rng: random.Random) -> list[str]:
        high = Asset.objects.order_by("-id").values_list("id", flat=True).first() or 0
        ids = [rng.randint(1, high) for _ in range(n * 20)] if high else []
        plates = (Asset.objects.visible_to(user).filter(id__in=ids).exclude(plate_number="")
                  .values_list("plate_number", flat=True))
        return [p for p in plates if len(p.split()) == 3][:n]

    @staticmethod
    def _heaviest(user: User, n: int) -> list:
        """The customers in the user's scope with the most contact history."""
        with connection.cursor() as cursor:
            branch_filter = "" if user.sees_all_branches else "AND c.branch_id = %s"
            params = [] if user.sees_all_branches else [user.branch_id]
            cursor.execute(
                f"""SELECT c.public_id FROM (
                        SELECT customer_id, count(*) AS n FROM crm_interaction GROUP BY customer_id
                        ORDER BY n DESC LIMIT 500) t
                    JOIN crm_customer c ON c.id = t.customer_id {branch_filter}
                    ORDER BY t.n DESC LIMIT {int(n)}""",
                params,
            )
            return [row[0] for row in cursor.fetchall()]


def admin_inputs(sampler: InputSampler, superuser: User, *, n: int) -> dict[str, list[Typed]]:
    """Back-office inputs: customer searches, plates (three spacings) and VINs, interaction searches."""
    inputs = sampler.for_user(superuser, names=n * 2, phones=n // 2, plates=n, customers=1)
    rng = random.Random(11)
    plates = [t for t in inputs.plate_queries if t.why != "plate, letters and digits"]
    high = Asset.objects.order_by("-id").values_list("id", flat=True).first() or 0
    vins = list(Asset.objects.filter(id__in=[rng.randint(1, high) for _ in range(n)]).exclude(vin="")
                .values_list("vin", flat=True)[: n // 4]) if high else []
    names = inputs.name_queries[:n]
    return {
        "customer_search": names,
        "plate_search": plates,
        "vin_search": [Typed(v, "VIN") for v in vins] + [Typed(v.lower(), "VIN lower-cased") for v in vins[:5]],
        "interaction_search": names[: n // 2] + inputs.phone_queries[: n // 4],
    }
