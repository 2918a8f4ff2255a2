from django.contrib import admin

from shop_extensions.benefits.models import BenefitRule, BijstandNorm, MunicipalitySwitch


@admin.register(BenefitRule)
class BenefitRuleAdmin(admin.ModelAdmin):
    list_display = (
        "code",
        "regime",
        "municipality",
        "cap_period",
        "percentage",
        "cap_kind",
        "cap_amount",
        "valid_from",
        "valid_to",
        "verified",
    )
    list_filter = ("regime", "code", "verified")


@admin.register(BijstandNorm)
class BijstandNormAdmin(admin.ModelAdmin):
    list_display = ("household_type", "amount", "valid_from", "valid_to", "verified")


@admin.register(MunicipalitySwitch)
class MunicipalitySwitchAdmin(admin.ModelAdmin):
    list_display = ("municipality", "rule_code", "enabled", "valid_from", "valid_to")
