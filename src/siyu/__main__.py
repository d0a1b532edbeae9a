from siyu.cli.main import app

app()
