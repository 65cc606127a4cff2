# A FastAPI app in a package, where `fastapi run` looks for it (app/main.py, with
# app/__init__.py): multistage runs `uvicorn app.main:app`. It has no `/`: its check
# asks /health.
from fastapi import FastAPI

app = FastAPI()


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}
