"""Who an ad may see: the law, and the baselines' suggested groups."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.ads.market import a_campaign
from unifeed.ads.audience import in_suggested_groups
from unifeed.ads.campaign_spec import AudienceHint
from unifeed.ads.config import DeliveryConfig

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def test_suggested_groups_filter_by_age_and_gender() -> None:
    c = a_campaign(T0, audience_hint=AudienceHint(35, 54, ("female",)))
    assert in_suggested_groups(c, {"age": 40, "gender": "female"})
    assert not in_suggested_groups(c, {"age": 30, "gender": "female"})
    assert not in_suggested_groups(c, {"age": 40, "gender": "male"})
    assert not in_suggested_groups(c, {"age": None, "gender": "female"})
    assert in_suggested_groups(a_campaign(T0), {"age": None, "gender": None})


def test_unknown_audience_is_refused() -> None:
    with pytest.raises(ValueError, match="audience"):
        DeliveryConfig(audience="zip codes")  # type: ignore[arg-type]
