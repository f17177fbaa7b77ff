"""Temperature updates for partners who republish them: published episodes with their frozen
figures (labels in both languages). An episode not yet published does not exist here (404); a
withdrawn one answers with its status and the reason, without text or figures, and leaves the
list. Nothing here is cached, so nothing can outlive an embargo."""

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets

from kundeservice.roles import PUBLIC, RolePermission
from surveys.episode_selectors import episode_url
from surveys.models import PUBLIC_STATUSES, EpisodeStatus, TemperatureUpdate
from surveys.views.episodes import EPISODE_ROLES


class EpisodeSerializer(serializers.ModelSerializer[TemperatureUpdate]):
    study = serializers.CharField(source="wave.study.slug", read_only=True)
    wave = serializers.CharField(source="wave.slug", read_only=True)
    wave_name = serializers.CharField(source="wave.name", read_only=True)
    url = serializers.SerializerMethodField(help_text="the episode's page (bokmål)")
    provisional = serializers.SerializerMethodField()
    figures = serializers.SerializerMethodField(
        help_text="the frozen figures: headline and blocks, each row with n, value, interval, "
        "change and significance; labels as {nb, en}; null once withdrawn"
    )

    class Meta:
        model = TemperatureUpdate
        fields = [
            "id",
            "study",
            "wave",
            "wave_name",
            "number",
            "status",
            "title",
            "title_en",
            "lead",
            "lead_en",
            "body",
            "body_en",
            "cutoff",
            "provisional",
            "webinar_url",
            "recording_url",
            "published_at",
            "withdrawn_at",
            "withdrawn_reason",
            "url",
            "figures",
        ]
        read_only_fields = fields

    def get_url(self, obj: TemperatureUpdate) -> str:
        request = self.context.get("request")
        path = episode_url(obj)
        return request.build_absolute_uri(path) if request is not None else path

    def get_provisional(self, obj: TemperatureUpdate) -> bool:
        return bool(obj.figures.get("provisional"))

    def get_figures(self, obj: TemperatureUpdate) -> dict[str, Any] | None:
        if obj.status != EpisodeStatus.PUBLISHED:
            return None
        return {
            key: obj.figures.get(key)
            for key in ("cutoff", "responses", "minimum_n", "headline", "blocks")
        }

    def to_representation(self, instance: TemperatureUpdate) -> dict[str, Any]:
        data = super().to_representation(instance)
        if instance.status == EpisodeStatus.WITHDRAWN:
            for hidden in ("lead", "lead_en", "body", "body_en", "webinar_url", "recording_url"):
                data[hidden] = ""
        return data


class EpisodeFilterSerializer(serializers.Serializer[Any]):
    study = serializers.SlugField(required=False, allow_blank=True, help_text="study slug")
    wave = serializers.SlugField(required=False, allow_blank=True, help_text="wave slug")


@extend_schema_view(list=extend_schema(parameters=[EpisodeFilterSerializer]))
class EpisodeViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[TemperatureUpdate]
):
    """Published temperature updates, newest first, with their frozen figures."""

    serializer_class = EpisodeSerializer
    permission_classes = [RolePermission]
    read_roles = PUBLIC
    write_roles = EPISODE_ROLES
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self) -> QuerySet[TemperatureUpdate]:
        episodes = TemperatureUpdate.objects.select_related("wave__study").order_by(
            "-published_at", "-id"
        )
        if self.action != "list":
            return episodes.filter(status__in=PUBLIC_STATUSES)
        params = EpisodeFilterSerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        episodes = episodes.filter(status=EpisodeStatus.PUBLISHED)
        if params.validated_data.get("study"):
            episodes = episodes.filter(wave__study__slug=params.validated_data["study"])
        if params.validated_data.get("wave"):
            episodes = episodes.filter(wave__slug=params.validated_data["wave"])
        return episodes
