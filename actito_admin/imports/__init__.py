"""CSV imports into ACTITO profile tables (mass imports v5, one-shot executions).

Pure, streaming building blocks (no ORM, no HTTP), in the order a job uses them:

* `csvfile.detect_csv` – container, encoding, separator, quote, headers, preview; refuses bad files
  with `csvfile.FileProblem(code, message)`.
* `mapping.match_headers` – suggested targets for the headers (`mapping.ImportTable`).
* `pipeline.validate_csv` – dry run over the whole file; `pipeline.prepare_import` – the same pass,
  writing the gzip file ACTITO receives.
* `oneshot.build_oneshot_definition` – the `oneshotEtl` JSON for that file.
"""
