"""``delai``: counting in hours (DST), days, jours ouvrables, months; invalid inputs; warnings on rules outside the corpus.

Expected dates are worked out by hand from the articles cited (version of 15 August 2022) and the calendar.
"""

from __future__ import annotations

from datetime import date

import pytest

from assistant.catalog import Catalog
from assistant.errors import InvalidToolInputError
from assistant.tools import run_tool
from assistant.tools.dates import add_jours_ouvrables, add_months, parse_start


def delai(catalog: Catalog, **arguments: object) -> dict:
    return run_tool(catalog, "delai", arguments)


def by_id(result: dict) -> dict[str, dict]:
    return {d["id"]: d for d in result["deadlines"]}


# -- hours, across changes of legal time ----------------------------------------------------------


def test_gav_criminalite_organisee_96h_across_fall_back(catalog: Catalog) -> None:
    # 706-88: 48 h then two 24 h prolongations (or one of 48 h): 96 h. Winter time starts on 25 October 2026
    # at 03:00 (→ 02:00): 96 real hours after 10:00 CEST is 09:00 CET.
    result = delai(catalog, rule="gav-criminalite-organisee", start="23 octobre 2026 à 10h")
    assert result["deadline"]["iso"] == "2026-10-27T09:00:00+01:00"
    assert result["deadline"]["display"] == "mardi 27 octobre 2026 à 09 h 00"
    d = by_id(result)
    assert d["h48"]["iso"] == "2026-10-25T09:00:00+01:00"
    assert d["h72"]["iso"] == "2026-10-26T09:00:00+01:00"
    assert any("changement d'heure" in s for s in result["steps"])
    assert {b["article"] for b in result["basis"]} == {"706-88"}


def test_gav_single_48h_prolongation_has_same_maximum(catalog: Catalog) -> None:
    result = delai(catalog, rule="gav-criminalite-organisee", start="2026-10-23T10:00", regime="1x48h")
    assert "h72" not in by_id(result)
    assert result["deadline"]["iso"] == "2026-10-27T09:00:00+01:00"


def test_gav_terrorisme_144h_across_spring_forward(catalog: Catalog) -> None:
    # 706-88-1: 96 h + 24 h renewable once = 144 h. Summer time starts on 29 March 2026 at 02:00 (→ 03:00).
    result = delai(catalog, rule="gav-terrorisme", start="2026-03-27T10:00")
    d = by_id(result)
    assert d["h96"]["iso"] == "2026-03-31T11:00:00+02:00"
    assert d["h120"]["iso"] == "2026-04-01T11:00:00+02:00"
    assert result["deadline"]["id"] == "h144"
    assert result["deadline"]["iso"] == "2026-04-02T11:00:00+02:00"


def test_spring_forward_48h(catalog: Catalog) -> None:
    result = delai(catalog, rule="mae-presentation-procureur-general", start="28/03/2026 08:00")
    assert result["deadline"]["iso"] == "2026-03-30T09:00:00+02:00"


def test_mae_presentation_48h(catalog: Catalog) -> None:
    # 695-27: « conduite dans les quarante-huit heures devant le procureur général ».
    result = delai(catalog, rule="mae-presentation-procureur-general", start="5 mai 2026 à 9h")
    assert result["deadline"]["display"] == "jeudi 7 mai 2026 à 09 h 00"
    assert result["basis"][0]["article"] == "695-27"


def test_iso_start_with_utc_offset(catalog: Catalog) -> None:
    result = delai(catalog, rule="extradition-presentation-procureur-general", start="2026-10-23T08:00:00Z")
    assert result["start"]["display"] == "vendredi 23 octobre 2026 à 10 h 00"
    assert result["deadline"]["iso"] == "2026-10-25T09:00:00+01:00"


def test_ambiguous_fall_back_hour_is_flagged() -> None:
    start = parse_start("25 octobre 2026 à 2h30")
    assert start.at.utcoffset().total_seconds() == 7200
    assert any("existe deux fois" in w for w in start.warnings)


def test_backward_hours_before_hearing(catalog: Catalog) -> None:
    # 695-34: the lawyer is summoned « quarante-huit heures au moins avant la date de l'audience ».
    result = delai(catalog, rule="mae-convocation-avocat-mise-en-liberte", start="2026-06-10T14:00")
    assert result["deadline"]["iso"] == "2026-06-08T14:00:00+02:00"


# -- days -----------------------------------------------------------------------------------------


def test_mae_decision_with_and_without_consent(catalog: Catalog) -> None:
    # 695-31: 7 days of the appearance with consent; 20 days « à compter de » the appearance without.
    with_consent = delai(catalog, rule="mae-decision-chambre-instruction", start="2026-05-04", consent=True)
    assert with_consent["deadline"]["date"] == "2026-05-11"
    without = delai(catalog, rule="mae-decision-chambre-instruction", start="2026-05-04", consent=False)
    assert without["deadline"]["date"] == "2026-05-24"
    assert without["deadline"]["display"].startswith("dimanche 24 mai 2026")


def test_deadline_on_sunday_warns_about_article_801_without_applying_it(catalog: Catalog) -> None:
    result = delai(catalog, rule="mae-decision-chambre-instruction", start="2026-05-04", consent=False)
    assert result["deadline"]["date"] == "2026-05-24"  # not moved to Monday 25 May
    assert any("801" in w and "dimanche" in w and "n'a pas été appliqué" in w for w in result["warnings"])


def test_deadline_on_public_holiday_warns(catalog: Catalog) -> None:
    # 695-37: « au plus tard dans les dix jours suivant la date de la décision définitive » : 4 May + 10 = 14 May 2026,
    # Ascension Day.
    result = delai(catalog, rule="mae-remise", start="2026-05-04", nouvelle_date=False)
    assert result["deadline"]["date"] == "2026-05-14"
    assert any("801" in w and "férié" in w for w in result["warnings"])


def test_options_missing_give_every_hypothesis(catalog: Catalog) -> None:
    result = delai(catalog, rule="mae-decision-chambre-instruction", start="2026-05-04")
    assert result["deadline"] is None
    assert {d["date"] for d in result["deadlines"]} == {"2026-05-11", "2026-05-24"}
    assert all(d["condition"] for d in result["deadlines"])
    assert any("consent" in w for w in result["warnings"])


def test_mae_60_and_90_days(catalog: Catalog) -> None:
    # 695-43: 60 days « à compter de l'arrestation », extended by 30: 90 days.
    result = by_id(delai(catalog, rule="mae-delai-decision-definitive", start="2026-01-10"))
    assert result["j60"]["date"] == "2026-03-11"
    assert result["j90"]["date"] == "2026-04-10"


def test_dee_30_days_and_extension(catalog: Catalog) -> None:
    # 694-35: « au plus tard trente jours après la réception », prorogeable de trente jours.
    assert delai(catalog, rule="dee-reconnaissance", start="2026-02-01", prorogation=False)["deadline"]["date"] == "2026-03-03"
    assert delai(catalog, rule="dee-reconnaissance", start="2026-02-01", prorogation=True)["deadline"]["date"] == "2026-04-02"


def test_start_day_excluded_with_a_compter_de(catalog: Catalog) -> None:
    # 696-24: mise en liberté si, « dans un délai de trente jours à dater de son arrestation »…
    result = delai(catalog, rule="extradition-arrestation-provisoire", start="2026-09-01T16:00")
    assert result["deadline"]["date"] == "2026-10-01"
    assert result["deadline"]["iso"] == "2026-10-01T23:59:59+02:00"
    assert not any("ne dit pas « à compter de »" in w for w in result["warnings"])


def test_start_day_excluded_otherwise_with_a_warning(catalog: Catalog) -> None:
    # 695-36: « dans les dix jours de sa mise sous écrou » (no « à compter de »).
    result = delai(catalog, rule="mae-soustraction-examen", start="2026-09-01")
    assert result["deadline"]["date"] == "2026-09-11"
    assert any("ne dit pas « à compter de »" in w for w in result["warnings"])


# -- jours ouvrables ------------------------------------------------------------------------------


def test_jours_ouvrables_across_a_sunday_and_8_may(catalog: Catalog) -> None:
    # 695-26: six jours ouvrables after Tuesday 5 May 2026: Wed 6, Thu 7, (Fri 8 May holiday), Sat 9, (Sun 10),
    # Mon 11, Tue 12, Wed 13.
    result = delai(catalog, rule="mae-original-mandat", start="2026-05-05T09:00")
    assert result["deadline"]["date"] == "2026-05-13"
    assert any("dimanche 10 mai 2026" in s and "vendredi 8 mai 2026" in s for s in result["steps"])


def test_jours_ouvrables_across_1_may(catalog: Catalog) -> None:
    # 696-13 (consent): five jours ouvrables from Thursday 30 April 2026: (Fri 1 May holiday), Sat 2, (Sun 3),
    # Mon 4, Tue 5, Wed 6, Thu 7.
    result = delai(catalog, rule="extradition-comparution-chambre-instruction", start="30 avril 2026", consent=True)
    assert result["deadline"]["date"] == "2026-05-07"


def test_jours_ouvrables_across_14_july(catalog: Catalog) -> None:
    # 696-69: three jours ouvrables from Monday 13 July 2026: (Tue 14 July), Wed 15, Thu 16, Fri 17.
    result = delai(catalog, rule="cj-ue-saisine-jld", start="13/07/2026")
    assert result["deadline"]["date"] == "2026-07-17"


def test_jours_ouvrables_across_easter_monday_2027(catalog: Catalog) -> None:
    # 696-69 again from Friday 26 March 2027: Sat 27, (Sun 28), (Easter Monday 29), Tue 30, Wed 31.
    result = delai(catalog, rule="cj-ue-saisine-jld", start="2027-03-26")
    assert result["deadline"]["date"] == "2027-03-31"


def test_saturday_counts_as_jour_ouvrable() -> None:
    assert add_jours_ouvrables(date(2026, 5, 7), 1)[0] == date(2026, 5, 9)  # Friday 8 May is a holiday


def test_backward_jours_ouvrables(catalog: Catalog) -> None:
    # 695-44: lawyer summoned « au plus tard cinq jours ouvrables avant la date de l'audience ». Hearing Tuesday
    # 5 May 2026: Mon 4, (Sun 3), Sat 2, (Fri 1 May), Thu 30, Wed 29, Tue 28 April.
    result = delai(catalog, rule="mae-convocation-avocat-extension", start="2026-05-05")
    assert result["deadline"]["date"] == "2026-04-28"


# -- months and years -----------------------------------------------------------------------------


def test_month_from_the_31st(catalog: Catalog) -> None:
    # 706-95: one month renewable once; from 31 January 2026 the month ends on 28 February (shorter month).
    result = by_id(delai(catalog, rule="interceptions-enquete", start="2026-01-31"))
    assert result["m1"]["date"] == "2026-02-28"
    assert result["m2"]["date"] == "2026-03-28"
    assert add_months(date(2028, 1, 31), 1) == date(2028, 2, 29)


def test_infiltration_four_months(catalog: Catalog) -> None:
    result = by_id(delai(catalog, rule="infiltration-duree", start="15 janvier 2026"))
    assert result["m4"]["date"] == "2026-05-15"
    assert result["m8"]["date"] == "2026-09-15"


def test_techniques_speciales_information_two_years(catalog: Catalog) -> None:
    result = delai(catalog, rule="techniques-speciales-duree", start="2026-03-10", cadre="information")
    assert by_id(result)["m4"]["date"] == "2026-07-10"
    assert result["deadline"]["date"] == "2028-03-10"


def test_civi_three_years_from_29_february(catalog: Catalog) -> None:
    result = delai(catalog, rule="civi-forclusion", start="29/02/2024")
    assert result["deadline"]["date"] == "2027-02-28"
    assert result["basis"][0]["article"] == "706-5"


def test_fixed_date_of_the_2026_circulaire(catalog: Catalog) -> None:
    result = delai(catalog, rule="circulaire-2026-rapport-dacg")
    assert result["deadline"]["date"] == "2026-07-01"
    assert result["deadline"]["display"].startswith("mercredi 1er juillet 2026")
    assert result["basis"][0]["doc_id"] == "circ-2026-04-13-donnees-fournisseurs"


def test_fixed_date_with_a_later_start_says_it_is_past(catalog: Catalog) -> None:
    result = delai(catalog, rule="circulaire-2026-rapport-dacg", start="2026-07-11")
    assert any("10 jour(s) avant" in s for s in result["steps"])


# -- invalid inputs -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"rule": "gav-criminalite-organisee", "start": "n'importe quoi 2026"}, "start"),
        ({"rule": "gav-criminalite-organisee", "start": "demain à 10h"}, "start"),
        ({"rule": "gav-criminalite-organisee", "start": "2026-13-45T10:00"}, "start"),
        ({"rule": "gav-criminalite-organisee", "start": "23 octobre 2026"}, "start"),  # hours need a time
        ({"rule": "gav-criminalite-organisee", "start": "29 mars 2026 à 2h30"}, "start"),  # does not exist in Paris
        ({"rule": "gav-criminalite-organisee"}, "start"),
        ({"rule": "gav-criminalite-organisee", "start": 12}, "start"),
        ({"rule": "garde-a-vue-inconnue", "start": "2026-10-23T10:00"}, "rule"),
        ({"start": "2026-10-23T10:00"}, "rule"),
        ({"rule": "mae-decision-chambre-instruction", "start": "2026-05-04", "consent": "peut-être"}, "consent"),
        ({"rule": "mae-decision-chambre-instruction", "start": "2026-05-04", "regime": "1x48h"}, "regime"),
        ({"rule": "gav-criminalite-organisee", "start": "2026-10-23T10:00", "regime": "3x24h"}, "regime"),
    ],
)
def test_invalid_inputs_name_the_field(catalog: Catalog, arguments: dict, field: str) -> None:
    with pytest.raises(InvalidToolInputError) as err:
        run_tool(catalog, "delai", arguments)
    assert err.value.field == field
    assert str(err.value).startswith(f"{field} : ")


def test_unknown_rule_suggests_close_ids(catalog: Catalog) -> None:
    with pytest.raises(InvalidToolInputError) as err:
        run_tool(catalog, "delai", {"rule": "gav-criminalite-organise", "start": "2026-10-23T10:00"})
    assert "gav-criminalite-organisee" in str(err.value)


def test_options_may_be_nested(catalog: Catalog) -> None:
    result = run_tool(
        catalog, "delai", {"rule": "mae-decision-chambre-instruction", "start": "2026-05-04", "options": {"consent": "oui"}}
    )
    assert result["deadline"]["date"] == "2026-05-11"
