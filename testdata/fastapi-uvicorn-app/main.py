# An ASGI app: multistage finds `app` and runs uvicorn on it.
from fastapi import FastAPI
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel

app = FastAPI()


class Greeting(BaseModel):
    text: str


@app.get("/", response_class=PlainTextResponse)
def hello() -> str:
    # pydantic (and its compiled core) really runs on every request.
    return Greeting(text="Hello from fastapi-uvicorn-app!").text
