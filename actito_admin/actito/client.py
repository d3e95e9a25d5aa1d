"""ActitoClient: the only code that knows ACTITO's HTTP (spec: docs/reference/actito-api.md).

The endpoint methods; sending, tokens, retries and error wording are in transport.py.
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Any

from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .errors import ActitoError, ImportQuotaExceeded
from .governor import ImportSlot, Lease
from .schemas import (
    Entity,
    Execution,
    ExecutionStarted,
    IntegrationResults,
    OutputFiles,
    Profile,
    ProfileRef,
    Scenario,
    TableStructure,
    TriggerResult,
    expected_total,
    more_pages,
    parse_entities,
    parse_scenarios,
    parse_tables,
)
from .transport import (
    MAX_BACKOFF_SECONDS,
    SERVICE,
    UNPREFIXED,
    ActitoTransport,
    _json_or_none,
    _LeaseKeepingFile,
    _seg,
    actito_words,
    connection_fingerprint,
)

logger = logging.getLogger(__name__)

SCENARIO_PAGE_SIZE = 100
MAX_SCENARIO_PAGES = 200  # 20,000 scenarios: past that something is wrong with the paging

# Seed 002's examples send `Accept: */*` to the mass-import API (output-files returns a file, and
# ACTITO documents 406 for an Accept it does not like).
MASS_IMPORT_HEADERS = {"Accept": "*/*"}


__all__ = [
    "MAX_BACKOFF_SECONDS",
    "SERVICE",
    "UNPREFIXED",
    "ActitoClient",
    "actito_words",
    "connection_fingerprint",
]


class ActitoClient(ActitoTransport):
    def _entities_path(self) -> str:
        return "/entities/v5/entities" if self.path_style == SERVICE else "/v4/entity"

    def _tables_path(self) -> str:
        prefix = "/profile-table-structure" if self.path_style == SERVICE else ""
        return f"{prefix}/v5/entities/{_seg(self.entity)}/profile-tables"

    def _executions_path(self) -> str:
        prefix = "/mass-imports" if self.path_style == SERVICE else ""
        return f"{prefix}/v5/entities/{_seg(self.entity)}/etl-executions"

    def _table_v4_path(self, table: str) -> str:
        # Profiles and scenarios are documented unprefixed under v4 only (§1.2, §6).
        return f"/v4/entity/{_seg(self.entity)}/table/{_seg(table)}"

    # --- token (§2.1) --------------------------------------------------------------------------

    def list_entities(self) -> list[Entity]:
        response = self._send(
            "GET", self._entities_path(), what=gettext_lazy("the list of entities")
        )
        return parse_entities(_json_or_none(response))

    def list_tables(self) -> list[TableStructure]:
        response = self._send(
            "GET",
            self._tables_path(),
            what=format_lazy(
                gettext_lazy("the profile tables of entity {entity}"), entity=self.entity
            ),
        )
        return parse_tables(_json_or_none(response))

    def get_table(self, table_id: str) -> TableStructure:
        response = self._send(
            "GET",
            f"{self._tables_path()}/{_seg(table_id)}",
            what=format_lazy(gettext_lazy("profile table {table}"), table=table_id),
        )
        data = _json_or_none(response)
        if not isinstance(data, dict):
            raise self._shape_error(response, gettext_lazy("a profile table structure"))
        return TableStructure.from_json(data)

    def find_table(self, name_or_id: str) -> TableStructure:
        """A table by its name or its id (v4 routes use the name, ETLs the id: keep both)."""
        for table in self.list_tables():
            if name_or_id in (table.name, table.id):
                return table
        raise ActitoError(
            f"no profile table {name_or_id!r}",
            status=404,
            user_message=_("Entity %(entity)s has no profile table called %(table)s.")
            % {"entity": self.entity, "table": name_or_id},
        )

    # --- profiles (§5) -------------------------------------------------------------------------

    def get_profile(self, *, table: str, ref: ProfileRef | str | int) -> Profile:
        """One profile by profileId or by a unique `attribute=value` (value percent-encoded)."""
        if not isinstance(ref, ProfileRef):
            ref = ProfileRef.parse(str(ref))
        response = self._send(
            "GET",
            f"{self._table_v4_path(table)}/profile/{ref.path_segment()}",
            # Translators: keep "profile" followed by the reference: the logs hide what follows it.
            what=format_lazy(
                gettext_lazy("profile {profile} in table {table}"), profile=ref, table=table
            ),
            messages={
                400: _(
                    "“%(profile)s” is not a valid way to find a profile in table %(table)s (the "
                    "attribute must be unique, and the value must not be empty)."
                )
                % {"profile": ref, "table": table}
            },
        )
        data = _json_or_none(response)
        if not isinstance(data, dict):
            raise self._shape_error(response, gettext_lazy("a profile"))
        return Profile.from_json(data)

    # --- scenarios (§6) ------------------------------------------------------------------------

    def search_scenarios(
        self,
        *,
        table: str,
        name: str | None = None,
        start_event_triggered: bool | None = None,
        active: bool | None = None,
    ) -> list[Scenario]:
        """Scenarios of a table; `name` filters on the display name with `*` wildcards."""
        params: dict[str, str] = {}
        if name:
            params["name"] = name
        if start_event_triggered is not None:
            params["isStartEventTriggered"] = "true" if start_event_triggered else "false"
        if active is not None:
            params["isActive"] = "true" if active else "false"
        response = self._send(
            "GET",
            f"{self._table_v4_path(table)}/scenario",
            params=params,
            what=format_lazy(gettext_lazy("the scenarios of table {table}"), table=table),
        )
        return parse_scenarios(_json_or_none(response))

    def all_scenarios(self, *, table: str) -> tuple[list[Scenario], bool]:
        """Every scenario of a table, following whatever paging the answers show. The flag says
        whether the list is known to be complete: a caller must never treat a partial read as
        "the others are gone"."""
        found: list[Scenario] = []
        page, size = 0, SCENARIO_PAGE_SIZE
        while True:
            # The first call asks for no page (as the documents show); later ones ask for the
            # next page at the size the first answer used.
            params = {"page": str(page), "pageSize": str(size)} if page else {}
            response = self._send(
                "GET",
                f"{self._table_v4_path(table)}/scenario",
                params=params,
                what=format_lazy(gettext_lazy("the scenarios of table {table}"), table=table),
            )
            data = _json_or_none(response)
            batch = parse_scenarios(data)
            found.extend(batch)
            more = more_pages(data, page=page, seen=len(found))
            if page == 0 and batch:
                reported = data.get("pageSize") if isinstance(data, dict) else None
                size = reported if isinstance(reported, int) and reported > 0 else len(batch)
            if not more or not batch:
                total = expected_total(data)
                complete = more is None or (not more and (total is None or len(found) >= total))
                return found, complete
            page += 1
            if page >= MAX_SCENARIO_PAGES:
                return found, False

    def trigger_scenario(
        self, *, table: str, scenario: str | int, profile: ProfileRef | str | int
    ) -> TriggerResult:
        """Start a scenario for one profile. Never retried once sent (not idempotent, §6.2)."""
        if not isinstance(profile, ProfileRef):
            profile = ProfileRef.parse(str(profile))
        response = self._send(
            "POST",
            f"{self._table_v4_path(table)}/scenario/{_seg(scenario)}/profile/"
            f"{profile.path_segment()}",
            # Translators: keep "profile" followed by the reference: the logs hide what follows it.
            what=format_lazy(
                gettext_lazy("scenario {scenario} for profile {profile}"),
                scenario=scenario,
                profile=profile,
            ),
            headers={"Content-Type": "application/json"},
            messages={
                400: _(
                    "“%(profile)s” is not a valid way to find a profile in table %(table)s (the "
                    "attribute must be unique, and the value must not be empty)."
                )
                % {"profile": profile, "table": table},
                404: _(
                    "ACTITO could not find scenario %(scenario)s or profile %(profile)s in table "
                    "%(table)s."
                )
                % {"scenario": scenario, "profile": profile, "table": table},
                409: _(
                    "Scenario %(scenario)s cannot be started by API right now: it must be active "
                    "and begin with a “Start” block."
                )
                % {"scenario": scenario},
            },
        )
        data = _json_or_none(response)
        key = data.get("interactionBusinessKey") if isinstance(data, dict) else None
        return TriggerResult(interaction_business_key=str(key) if key else None, raw=data)

    # --- one-shot ETL executions (§7) ----------------------------------------------------------

    def create_oneshot_execution(
        self,
        *,
        definition: dict[str, Any],
        input_file: Path,
        filename: str | None = None,
        content_type: str = "text/csv",
        slot: ImportSlot | None = None,
        table_name: str = "",
    ) -> ExecutionStarted:
        """Upload `input_file` (streamed from disk) with its one-shot definition.

        Counts against the destination table's daily quota: pass the `slot` reserved earlier
        (e.g. before our own pre-flight checks) or one is reserved here (ImportQuotaExceeded
        when used up). The slot is given back when ACTITO surely did not create the import
        (a 4xx answer, or the request never sent) and kept when it may have (timeout, 5xx).
        """
        destination = definition.get("dataLoading", {}).get("destination", {})
        table_id = str(destination.get("id", ""))
        size = input_file.stat().st_size  # a missing file fails here, before any reservation
        if slot is None:
            slot = self.governor.reserve_import(
                table_id, table_name=table_name, note=f"one-shot upload {input_file.name}"
            )
        definition_bytes = json.dumps(definition).encode()

        def files(lease: Lease) -> dict[str, Any]:
            handle = _LeaseKeepingFile(
                open(input_file, "rb"),  # noqa: SIM115 - closed after the attempt
                lambda: self.governor.extend(lease),
                every=lease.lease_seconds / 3,
            )
            return {
                "inputFile": (filename or input_file.name, handle, content_type),
                "oneshotEtl": ("oneshotEtl.json", definition_bytes, "application/json"),
            }

        try:
            response = self._send(
                "POST",
                self._executions_path(),
                files=files,
                headers=MASS_IMPORT_HEADERS,
                what=format_lazy(
                    gettext_lazy("the import of {file} ({size} bytes)"),
                    file=filename or input_file.name,
                    size=size,
                ),
                messages={
                    400: _("ACTITO rejected the import definition or the file (HTTP 400)."),
                    429: _(
                        "ACTITO refused the import: too many requests, or the table's daily "
                        "import quota is used up."
                    ),
                },
            )
        except ActitoError as exc:
            if exc.status == 429:
                # ACTITO counts the table's imports of the day, ours and everyone else's: when
                # it says they are used up, our count says so too until the day ends (UTC).
                self._exhaust_imports(slot)
                name = slot.table_name or slot.table_id
                raise ActitoError(
                    exc.message,
                    status=429,
                    user_message=_(
                        "ACTITO says today's imports on %(table)s are used up (it also counts "
                        "imports made outside this console). Nothing was imported; the next "
                        "import on this table is possible after midnight UTC."
                    )
                    % {"table": name},
                    response_text=exc.response_text,
                ) from exc
            # outcome_known: ACTITO refused (4xx), or the request never left (connection
            # refused, governor busy). Either way no import was created, so the slot comes back.
            if exc.outcome_known:
                self.governor.release_import(slot)
            raise
        data = _json_or_none(response)
        if isinstance(data, dict):
            execution_id = data.get("id") or data.get("executionId")
        elif isinstance(data, int | str):
            execution_id = data
        else:
            execution_id = response.text.strip()
        return ExecutionStarted(execution_id=str(execution_id or ""), raw=data)

    def _exhaust_imports(self, slot: ImportSlot) -> None:
        """Reserve what is left of today's quota for `slot`'s table (its own slot stays used)."""
        for _slot in range(max(0, slot.limit - slot.used)):
            try:
                self.governor.reserve_import(
                    slot.table_id, table_name=slot.table_name, note="ACTITO said: used up (429)"
                )
            except ImportQuotaExceeded:
                return

    def get_execution(self, execution_id: str) -> Execution:
        """Where an execution stands, followed as seed 002 documents it: through its integration
        results, whose `status` "remains IN_PROGRESS until it is FINISHED or FAILED". An answer
        without a status is an error that quotes what ACTITO answered (never "finished")."""
        response = self._send(
            "GET",
            f"{self._executions_path()}/{_seg(execution_id)}/integration-results",
            what=format_lazy(gettext_lazy("import execution {id}"), id=execution_id),
            headers=MASS_IMPORT_HEADERS,
        )
        data = _json_or_none(response)
        status = data.get("status") if isinstance(data, dict) else None
        if not isinstance(status, str) or not status.strip():
            shown = " ".join(response.text.split())[:300] or _("(an empty answer)")
            raise ActitoError(
                f"GET import execution {execution_id}: no status",
                status=response.status_code,
                retryable=True,
                user_message=_(
                    "ACTITO's answer about import execution %(id)s gives no status, so we keep "
                    "following it. It answered: “%(answer)s”"
                )
                % {"id": execution_id, "answer": shown},
                response_text=response.text,
            )
        return Execution.from_json(data, fallback_id=str(execution_id))

    def get_integration_results(self, execution_id: str) -> IntegrationResults:
        response = self._send(
            "GET",
            f"{self._executions_path()}/{_seg(execution_id)}/integration-results",
            what=format_lazy(gettext_lazy("the results of import execution {id}"), id=execution_id),
            headers=MASS_IMPORT_HEADERS,
        )
        return IntegrationResults.from_json(_json_or_none(response))

    def download_output_files(self, execution_id: str, *, dest: Path) -> OutputFiles | None:
        """Stream the execution's output files to `dest`; None when ACTITO has none (404)."""
        response = self._send(
            "GET",
            f"{self._executions_path()}/{_seg(execution_id)}/output-files",
            what=format_lazy(
                gettext_lazy("the output files of import execution {id}"), id=execution_id
            ),
            headers=MASS_IMPORT_HEADERS,
            accept_statuses=(404,),
            stream_to=dest,
        )
        if response.status_code == 404:
            return None
        disposition = response.headers.get("Content-Disposition", "")
        match = re.search(r'filename="?([^";]+)"?', disposition)
        return OutputFiles(
            path=dest,
            content_type=response.headers.get("Content-Type", "application/octet-stream"),
            filename=match.group(1) if match else None,
            size=dest.stat().st_size,
        )
