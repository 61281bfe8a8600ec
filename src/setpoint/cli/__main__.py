from setpoint.cli.main import app

app()
