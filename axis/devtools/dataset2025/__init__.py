"""A generator of a realistic registry dataset: the pre-2025 directory and the 2025 rearrangement.

The output is two change sets in the registry's JSON format (plain dicts, lists, str, int and
None, ready for ``json.dumps``): a baseline that creates the whole pre-2025 directory, and the
change set of 2025-07-01 that rearranges it. Tests, demos and benchmarks use it to exercise the
registry at national scale without shipping a hand-typed file.

Changes are written bottom-up (communes and their level-4 units before districts, departments
before their province, a ministry's units before the ministry), so no unit is ever closed while
an active unit is still under it, although the registry only requires that of the end state.

What is fact (from /work/shared/domain/orgcodes.md and public record):

- the 63 provinces and centrally-run cities before 2025 and their Vietnamese names (Hue was the
  province "Thừa Thiên Huế"; it became a centrally-run city on 2025-01-01, which this dataset
  records as a rename in the 2025 change set);
- the provincial mergers of 2025 (the first name keeps its code, the others are closed) and the
  11 unchanged provinces, hence 34 provinces after;
- the totals: about 700 districts and 10,035 commune-level units before, no district level and
  3,321 commune-level units after (2,636 communes, 672 wards, 13 special zones);
- the names and provinces of the 13 special zones ("Đặc khu");
- the codes in ``KNOWN_CODES``: H41 Nghe An, H49 Quang Ninh, H53 Tay Ninh (seen in real packets)
  and G22 the Government Office; and that G04, G05, G07, G13, G23-G26, G34, G37 were closed and
  G38-G40 added in 2025.

What is illustrative (deterministically generated, never to be quoted as real data):

- every other H-code: the remaining provinces get the remaining numbers H01..H63 in
  alphabetical order of their names without diacritics (which happens to agree with the three
  known codes);
- every G-code except G22, the ministries' names behind them, their level-2 units, and which
  ministry each closed one was merged into;
- every department, district and commune below a province: their names, numbers, codes and how
  old communes were grouped into new ones (merges, kept communes, splits);
- the codes of the new communes: ``000.NN.MM.Hxx`` with a level-2 group MM in 50..99 that no
  district used (so a code is never reused); their explicit parent is the province, not the
  string prefix, as in real directory data;
- the Decision 20/2020 ``alt_code`` convention: the level-1 group first, then the non-zero
  groups downwards (``000.01.21.H29`` -> ``H29.21.01``);
- every e-mail address (``vanthu@<slug>.gov.vn``) and telephone number;
- the optional level-4 units (schools, health stations) added with ``extra_units``, and which
  successor a level-4 unit of a split commune is moved to (the first one).

Modules: `facts` (the public record and the dataset's constants), `units` (codes, names and
change-set writing), `before2025` (the directory before 2025), `communes2025` (how each province
of 2025 is formed from its old communes), `generator` (the dataset, the ministries' 2025
rearrangement, and the facts a test can check).
"""

from axis.devtools.dataset2025.facts import (
    BASELINE_EFFECTIVE,
    KNOWN_CODES,
    REARRANGEMENT_EFFECTIVE,
)
from axis.devtools.dataset2025.generator import Dataset2025, Facts, build_dataset, write_dataset

__all__ = [
    "BASELINE_EFFECTIVE",
    "KNOWN_CODES",
    "REARRANGEMENT_EFFECTIVE",
    "Dataset2025",
    "Facts",
    "build_dataset",
    "write_dataset",
]
