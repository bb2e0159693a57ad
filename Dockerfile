# CssmSim standalone simulator.
#   docker build -t cssmsim .
#   docker run --rm -p 8080:8080 -p 8443:8443 -v cssmsim-data:/data cssmsim
# Listening on 0.0.0.0 makes the control API key mandatory: the first start prints a generated
# key and keeps it in /data/control.key (or set CSSMSIM__Control__ApiKey).
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY . .
RUN dotnet publish src/CssmSim.Cli -c Release -o /app

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /app .
COPY certs/ /app/certs/
ENV CSSMSIM__Urls=http://0.0.0.0:8080 \
    CSSMSIM__Https=true \
    CSSMSIM__Store=sqlite:/data/cssmsim.db \
    CSSMSIM__Control__KeyFile=/data/control.key \
    CSSMSIM__Certs__Directory=/app/certs
VOLUME /data
EXPOSE 8080 8443
ENTRYPOINT ["dotnet", "cssmsim.dll", "serve"]
